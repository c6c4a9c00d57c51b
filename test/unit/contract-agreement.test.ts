import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TSchema } from '@sinclair/typebox';
import type { ErrorObject } from 'ajv';
import fc from 'fast-check';
import { ALL_DIALECTS } from '../../src/dialects/index.ts';
import { readProfileBody } from '../../src/dialects/dialect.ts';
import { ApiError } from '../../src/errors.ts';
import { createActionUrl, readActionBody } from '../../src/http/routes/user-profiles/action-urls.ts';
import { CreateEndpointBody, readCreateBody, readUpdateBody, UpdateEndpointBody } from '../../src/http/routes/webhooks/bodies.ts';
import { AdvanceBody, FaultBody, readAdvance, readFault } from '../../src/http/routes/operator/emulator/controls.ts';
import { readReset, resetEmulator } from '../../src/http/routes/operator/emulator/reset.ts';
import {
  CheckResultBody, CyberDecisionBody, EfsDecisionBody, NewActionBody, readCheckResult, readCyberDecision, readEfsDecision, readNewAction,
} from '../../src/review/decisions.ts';
import { BrandingBody, KeyNameBody, readBrandingChange, readKeyName } from '../../src/review/settings.ts';
import { BillingBody, BudgetBody, readBilling, readBudget, readSettings, SettingsBody } from '../../src/review/gateway.ts';
import { validatorOf } from '../support/contract-guard.ts';

/*
 * The contract (JSON Schema, src/contract/) and the readers (the enforcement, with their messages) must agree:
 * - every body the schema generates is accepted by the reader, unless it breaks a rule the schema cannot say
 *   (listed per reader below, and in docs/architecture.md);
 * - every body the reader accepts, the schema accepts;
 * - a body both refuse is refused for the same field: the reader's `field: message` names a place where the schema
 *   finds a violation (the reader stops at its first; the schema lists them all).
 * The bodies: generated from the schema, then mutated (a value replaced by any JSON, a field dropped, one added), or
 * generated from the schema with every bound widened.
 */

const NOW = Date.parse('2026-09-01T12:00:00Z');

/** Rules every reader applies to text beyond JSON Schema: storable text (domain/text.ts). */
const STORABLE = /: must be valid Unicode|: must not contain the NUL character/;

interface Pair {
  name: string;
  schema: TSchema;
  read(body: unknown): unknown;
  /** refusals of bodies the schema accepts: the rules beyond JSON Schema */
  beyond: RegExp[];
  /** the body must be sent (the contract's `bodyRequired`); else no body reads as `{}` (decisions §35) */
  required?: boolean;
  /** arbitraries for places the schema's generator cannot make well (by JSON pointer) */
  overrides?: Record<string, fc.Arbitrary<unknown>>;
}

const timestamp = fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date(NOW - 60_000), noInvalidDate: true }).map((d) => d.toISOString());

// ---- a generator of values from the schemas' JSON Schema subset

/**
 * A string of `min`..`max` code points (any code point but unpaired surrogates), its bounds and their neighbours
 * often: fast-check's own strings stay short, and the limits are where a schema and a reader could part.
 */
function text(min: number, max: number): fc.Arbitrary<string> {
  const lengths = fc.oneof(fc.constantFrom(min, max, Math.max(min, max - 1)), fc.integer({ min, max: Math.min(max, 60) }), fc.integer({ min, max }));
  return lengths.chain((n) => fc.string({ unit: 'binary', minLength: n, maxLength: n }));
}

/**
 * Values of a schema; `loose`: values of a schema like it whose every bound is widened (lengths to twice the
 * limit and one past it, numbers past their range, one more enum value, required fields left out, maps one key
 * over), which the reader must refuse wherever the schema does.
 */
function arbitrary(schema: any, at: string, overrides: Record<string, fc.Arbitrary<unknown>>, loose = false): fc.Arbitrary<unknown> {
  const again = (s: any, place: string) => arbitrary(s, place, overrides, loose);
  if (overrides[at]) return loose ? fc.oneof(overrides[at], text(0, 60)) : overrides[at];
  if ('const' in schema) {
    return loose && typeof schema.const === 'string' ? fc.constantFrom(schema.const, `${schema.const}x`) : fc.constant(schema.const);
  }
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map((s: any) => again(s, at)));
  const widen = (n: number) => (loose ? n * 2 + 2 : n);
  switch (schema.type) {
    case 'null':
      return fc.constant(null);
    case 'boolean':
      return fc.boolean();
    case 'integer': {
      const min = schema.minimum ?? -1e6;
      const max = schema.maximum ?? 1e6;
      return loose ? fc.oneof(fc.integer({ min: min - 2, max: max + 2 }), fc.constantFrom(min - 1, max + 1, min + 0.5)) : fc.integer({ min, max });
    }
    case 'number': {
      const min = schema.exclusiveMinimum ?? schema.minimum ?? -1e6;
      const max = schema.maximum ?? 1e6;
      const within = fc.double({ min, max, noNaN: true, noDefaultInfinity: true, minExcluded: schema.exclusiveMinimum !== undefined });
      return loose ? fc.oneof(within, fc.constantFrom(min, min - 1, max, max + 1)) : within;
    }
    case 'string':
      if (schema.pattern === '^[A-Z]{2}$') return loose ? fc.oneof(fc.stringMatching(/^[A-Z]{2}$/), text(0, 3)) : fc.stringMatching(/^[A-Z]{2}$/);
      if (schema.pattern === '^#[0-9a-fA-F]{6}$') return loose ? fc.oneof(fc.stringMatching(/^#[0-9a-fA-F]{6}$/), text(0, 8)) : fc.stringMatching(/^#[0-9a-fA-F]{6}$/);
      if (schema.format === 'date-time') return loose ? fc.oneof(timestamp, timestamp.map((t) => t.slice(0, -1)), text(0, 30)) : timestamp;
      if (schema.pattern) throw new Error(`no generator for the pattern ${schema.pattern} at ${at}`);
      return text(loose ? 0 : schema.minLength ?? 0, widen(schema.maxLength ?? 40));
    case 'array':
      return fc.array(again(schema.items, `${at}/0`), { minLength: loose ? 0 : schema.minItems ?? 0, maxLength: 4 });
    case 'object': {
      if (schema.properties) {
        const required: string[] = schema.required ?? [];
        const record: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [key, value] of Object.entries(schema.properties)) record[key] = again(value, `${at}/${key}`);
        return fc.record(record, { requiredKeys: loose ? [] : required });
      }
      // a map (metadata): its keys and values
      const names = schema.propertyNames ?? {};
      const key = text(loose ? 0 : names.minLength ?? 0, widen(names.maxLength ?? 20));
      const maxKeys = schema.maxProperties === undefined ? 20 : loose ? schema.maxProperties + 2 : schema.maxProperties;
      return fc.dictionary(key, again(schema.additionalProperties, `${at}/*`), { maxKeys, size: 'max' });
    }
  }
  throw new Error(`no generator for ${JSON.stringify(schema)} at ${at}`);
}

/** One change to a value: a place replaced by any JSON value, a field dropped, or an unknown field added. */
function mutated(value: unknown): fc.Arbitrary<unknown> {
  const places: (string | number)[][] = [[]];
  const walk = (node: unknown, path: (string | number)[]) => {
    if (typeof node !== 'object' || node === null) return;
    for (const [key, child] of Object.entries(node)) {
      const next = [...path, Array.isArray(node) ? Number(key) : key];
      places.push(next);
      walk(child, next);
    }
  };
  walk(value, []);
  return fc.tuple(fc.constantFrom(...places), fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(undefined)), fc.boolean()).map(([path, replacement, addField]) => {
    if (path.length === 0) return addField && typeof value === 'object' && value !== null && !Array.isArray(value) ? { ...value, unknown_field: 1 } : replacement;
    const copy = structuredClone(value) as any;
    let node = copy;
    for (const step of path.slice(0, -1)) node = node[step];
    const last = path[path.length - 1];
    if (replacement === undefined && !Array.isArray(node)) delete node[last];
    else node[last] = replacement ?? null;
    return copy;
  });
}

// ---- where a refusal points

/**
 * The places a refusal may name, as paths: `external_user_details.country`, `enabled_events[2]`, `tiers.a.status`
 * (`[]` for the body). A field is what comes before a `: `, and a key the caller sent may itself hold `: `, `.` or
 * `[0]`, so every reading is a candidate: `[n]` as an index or as part of a key, known segments, then the rest as
 * one key.
 */
function pathsOf(message: string): string[][] {
  if (message.startsWith('The request body')) return [[]];
  const candidates: string[][] = [];
  for (let i = message.indexOf(': '); i !== -1; i = message.indexOf(': ', i + 1)) {
    const field = message.slice(0, i).replace(/ key$/, '');
    for (const reading of [field.replace(/\[(\d+)\]/g, '.$1'), field]) {
      const parts = reading.split('.');
      for (let k = 1; k <= parts.length; k++) candidates.push([...parts.slice(0, k - 1), parts.slice(k - 1).join('.')]);
    }
  }
  return candidates;
}

/** Where a schema error is, as a path (the property it misses or refuses included). */
function pathOf(error: ErrorObject): string[] {
  const path = error.instancePath === '' ? [] : error.instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  const params = error.params as { additionalProperty?: string; missingProperty?: string };
  const property = params.additionalProperty ?? params.missingProperty;
  return property === undefined ? path : [...path, property];
}

/** Whether a schema error is at (or inside) the place the reader named. */
const near = (path: string[], error: ErrorObject): boolean => {
  const at = pathOf(error);
  return at.length >= path.length && path.every((segment, i) => at[i] === segment);
};

/** Runs a property; a failure says what failed (fast-check's report keeps the assertion's message to itself). */
function holds(property: fc.IProperty<[unknown]>, numRuns: number): void {
  const details = fc.check(property, { numRuns });
  if (details.failed) {
    assert.fail(`${(details.errorInstance as Error | undefined)?.message ?? 'failed'}\n(counterexample ${JSON.stringify(details.counterexample)}, seed ${details.seed})`);
  }
}

function refusal(read: () => unknown): string | null {
  try {
    read();
    return null;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 400) throw error;
    return error.message;
  }
}

function agree(pair: Pair) {
  const validate = validatorOf(pair.schema);
  const overrides = pair.overrides ?? {};
  const plain = JSON.parse(JSON.stringify(pair.schema));
  const valid = arbitrary(plain, '', overrides);
  const loose = arbitrary(plain, '', overrides, true);

  it(`${pair.name}: bodies the schema accepts, the reader accepts (but for rules beyond the schema)`, () => {
    holds(
      fc.property(valid, (body) => {
        assert.ok(validate(body), `the generator made a body its schema refuses: ${JSON.stringify(body)} ${JSON.stringify(validate.errors)}`);
        const refused = refusal(() => pair.read(body));
        if (refused !== null) assert.ok(pair.beyond.some((rule) => rule.test(refused)), `refused ${JSON.stringify(body)}: ${refused}`);
      }),
      300,
    );
  });

  it(`${pair.name}: the reader accepts only what the schema accepts, and refuses where the schema does`, () => {
    holds(
      fc.property(fc.oneof(valid.chain(mutated), loose), (body) => {
        const refused = refusal(() => pair.read(body));
        if (body === undefined) return assert.equal(refused !== null, pair.required ?? false, `no body: ${refused}`);
        const accepted = validate(body);
        if (refused === null) return assert.ok(accepted, `the reader accepts what the schema refuses: ${JSON.stringify(body)} ${JSON.stringify(validate.errors)}`);
        // the reader stops at its first refusal: one beyond the schema may come before a violation the schema finds
        if (pair.beyond.some((rule) => rule.test(refused))) return;
        if (accepted) return assert.fail(`refused ${JSON.stringify(body)} which the schema accepts: ${refused}`);
        const paths = pathsOf(refused);
        assert.ok(
          validate.errors!.some((error) => paths.some((path) => near(path, error))),
          `the reader refuses ${JSON.stringify(body)} (${refused}); the schema elsewhere: ${JSON.stringify(validate.errors)}`,
        );
      }),
      400,
    );
  });
}

const TIMESTAMP_RULES = [/is not a valid date and time/, /more than 1 minute in the future/];

const pairs: Pair[] = [
  ...ALL_DIALECTS.flatMap((dialect) =>
    (['create', 'update'] as const).map((mode) => ({
      name: `${mode} a user profile under ${dialect.beta ?? 'GA'}`,
      schema: dialect.schemas[mode],
      read: (body: unknown) => readProfileBody(dialect, body, mode, NOW),
      beyond: [STORABLE, ...TIMESTAMP_RULES],
    })),
  ),
  { required: true, name: 'create an action URL', schema: createActionUrl.contract.body as TSchema, read: readActionBody, beyond: [] },
  {
    required: true, name: 'create a webhook endpoint',
    schema: CreateEndpointBody,
    read: (body) => readCreateBody(body, true),
    beyond: [STORABLE, /^url: must use https|^url: .* is not an absolute URL|^url: must not begin or end/],
    overrides: { '/url': fc.webUrl({ validSchemes: ['https'] }).filter((u) => u.length <= 2048) },
  },
  {
    name: 'update a webhook endpoint',
    schema: UpdateEndpointBody,
    read: (body) => readUpdateBody(body, true),
    beyond: [STORABLE, /^url: must use https|^url: .* is not an absolute URL|^url: must not begin or end/],
    overrides: { '/url': fc.webUrl({ validSchemes: ['https'] }).filter((u) => u.length <= 2048) },
  },
  { required: true, name: 'decide the cyber program', schema: CyberDecisionBody, read: readCyberDecision, beyond: [/^reason: only a rejection takes a reason/] },
  { required: true, name: 'decide the EFS program', schema: EfsDecisionBody, read: readEfsDecision, beyond: [/^reason: only a rejection takes a reason/] },
  {
    required: true, name: 'open an enforcement action',
    schema: NewActionBody,
    read: readNewAction,
    beyond: [/^clearable: a ban cannot be cleared/, /^expires_at: bans and account_compromise restrictions never expire/, ...TIMESTAMP_RULES],
  },
  { required: true, name: 'pass or fail an identity check', schema: CheckResultBody, read: readCheckResult, beyond: [STORABLE, /^note: must be at most 1000 characters/] },
  { required: true, name: 'name an API key', schema: KeyNameBody, read: readKeyName, beyond: [STORABLE, /^name: must be at most 100 characters/, /^name: must not contain control characters/] },
  {
    name: 'change the branding',
    schema: BrandingBody,
    read: readBrandingChange,
    beyond: [/^accent_color: .* is too light/, /^logo_png_base64: /],
  },
  { required: true, name: 'advance the test clock', schema: AdvanceBody, read: readAdvance, beyond: [/^seconds: must be more than 0/] },
  { required: true, name: 'arm a fault', schema: FaultBody, read: readFault, beyond: [/^retry_after: only a 429 carries retry-after/] },
  { required: true, name: "set a profile's token budget", schema: BudgetBody, read: (body) => readBudget(body, NOW), beyond: [] },
  { required: true, name: "set a profile's billing authorization", schema: BillingBody, read: readBilling, beyond: [] },
  { required: true, name: 'change the gateway settings', schema: SettingsBody, read: readSettings, beyond: [] },
  {
    name: 'reset the emulator',
    schema: resetEmulator.contract.body as TSchema,
    read: readReset,
    beyond: [],
  },
];

describe('contract and readers agree', () => {
  for (const pair of pairs) agree(pair);
});
