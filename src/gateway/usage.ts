/**
 * What the gateway meters (pure rules, no I/O): the token counts of a Messages `usage` object, the minute a
 * record belongs to, and the UTC windows of a budget.
 */

/** The tokens of one answer, as its `usage` reported them. */
export interface Tokens {
  input: number;
  output: number;
  cacheCreation: number;
  cacheRead: number;
}

export const NO_TOKENS: Readonly<Tokens> = Object.freeze({ input: 0, output: 0, cacheCreation: 0, cacheRead: 0 });

/** What a budget counts: every token the model processed or produced. */
export const totalTokens = (t: Tokens) => t.input + t.output + t.cacheCreation + t.cacheRead;

/** A count the upstream reported: a non-negative safe integer, else nothing (an answer we cannot read costs nobody). */
function count(value: unknown): number | null {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 ? value : null;
}

/**
 * The tokens of a Messages `usage` object (a message's, or a stream's `message_start` message's). Absent or
 * null cache counts are 0; anything that is not a usage object is no tokens.
 */
export function tokensOf(usage: unknown): Tokens {
  if (typeof usage !== 'object' || usage === null) return { ...NO_TOKENS };
  const u = usage as Record<string, unknown>;
  return {
    input: count(u.input_tokens) ?? 0,
    output: count(u.output_tokens) ?? 0,
    cacheCreation: count(u.cache_creation_input_tokens) ?? 0,
    cacheRead: count(u.cache_read_input_tokens) ?? 0,
  };
}

/**
 * A stream's final `message_delta` usage over what `message_start` said: the delta's counts are cumulative, and a
 * count it leaves out or sends as null keeps the start's value (older API versions send only `output_tokens`).
 */
export function withDelta(start: Tokens, deltaUsage: unknown): Tokens {
  if (typeof deltaUsage !== 'object' || deltaUsage === null) return start;
  const u = deltaUsage as Record<string, unknown>;
  return {
    input: count(u.input_tokens) ?? start.input,
    output: count(u.output_tokens) ?? start.output,
    cacheCreation: count(u.cache_creation_input_tokens) ?? start.cacheCreation,
    cacheRead: count(u.cache_read_input_tokens) ?? start.cacheRead,
  };
}

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** Usage is kept per UTC minute. */
export const minuteOf = (ms: number) => ms - (((ms % MINUTE_MS) + MINUTE_MS) % MINUTE_MS);

export const BUDGET_PERIODS = ['day', 'month'] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];

/** The budget window (UTC day or UTC calendar month) that holds `now`: [start, end). */
export function budgetWindow(period: BudgetPeriod, now: number): { start: number; end: number } {
  const date = new Date(now);
  if (period === 'day') {
    const start = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
    return { start, end: start + DAY_MS };
  }
  return {
    start: Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1),
    end: Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1),
  };
}
