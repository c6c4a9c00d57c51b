/**
 * The built-in stub model: what answers `/v1/messages` and friends when no UPSTREAM_URL is set, so that
 * development and CI need no network. Deterministic, by these rules (README, "The inference gateway"):
 *
 * - input tokens: the UTF-8 length of `JSON.stringify([system ?? null, messages, tools ?? null])`, divided by 4,
 *   rounded up (so count_tokens and the message agree, and any change to the prompt shows);
 * - the answer is always STUB_REPLY, one output token per word (the word and the space after it), cut at
 *   `max_tokens` (then `stop_reason: "max_tokens"`, else `"end_turn"`); no cache tokens;
 * - streams send the events of the real API in its order: message_start, content_block_start, ping, one
 *   content_block_delta per token, content_block_stop, message_delta (cumulative usage), message_stop.
 */
import { describeType } from '../domain/text.js';
import { invalidRequest } from '../errors.js';
import { newId } from '../ids.js';
import type { Tokens } from './usage.js';

export const STUB_REPLY = "Hello! This is uprof's stub model. No model ran: set UPSTREAM_URL to forward requests to one.";

/** The reply as output tokens: each word with the space that follows it. */
export const STUB_TOKENS: readonly string[] = STUB_REPLY.split(/(?<= )/);

export interface StubRequest {
  model: string;
  /** null for count_tokens, which takes none */
  maxTokens: number | null;
  stream: boolean;
  inputTokens: number;
}

const ROLES = ['user', 'assistant'];

/** Reads what the stub needs of a Messages body, refusing what the real API would refuse outright. */
export function readStubRequest(body: unknown, options: { countTokens: boolean; field?: string }): StubRequest {
  const at = (name: string) => (options.field ? `${options.field}.${name}` : name);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidRequest(`${options.field ?? 'The request body'}: expected a JSON object, got ${describeType(body)}.`);
  }
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || b.model === '') throw invalidRequest(`${at('model')}: required, a non-empty string.`);
  let maxTokens: number | null = null;
  if (!options.countTokens) {
    if (typeof b.max_tokens !== 'number' || !Number.isInteger(b.max_tokens) || b.max_tokens < 1) {
      throw invalidRequest(`${at('max_tokens')}: required, an integer of at least 1.`);
    }
    maxTokens = b.max_tokens;
  }
  if (!Array.isArray(b.messages) || b.messages.length === 0) throw invalidRequest(`${at('messages')}: required, a non-empty array.`);
  b.messages.forEach((message: unknown, i) => {
    const m = message as Record<string, unknown> | null;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw invalidRequest(`${at(`messages.${i}`)}: expected an object.`);
    if (!ROLES.includes(m.role as string)) throw invalidRequest(`${at(`messages.${i}.role`)}: must be "user" or "assistant".`);
    if (typeof m.content !== 'string' && !Array.isArray(m.content)) throw invalidRequest(`${at(`messages.${i}.content`)}: expected a string or an array.`);
  });
  if (b.stream !== undefined && typeof b.stream !== 'boolean') throw invalidRequest(`${at('stream')}: expected true or false.`);
  const prompt = JSON.stringify([b.system ?? null, b.messages, b.tools ?? null]);
  return { model: b.model, maxTokens, stream: b.stream === true, inputTokens: Math.ceil(Buffer.byteLength(prompt) / 4) };
}

/** What the stub answers a request: its text, stop reason and usage. */
export function stubAnswer(request: StubRequest): { text: string; tokens: string[]; stopReason: 'end_turn' | 'max_tokens'; usage: Tokens } {
  const limit = request.maxTokens ?? STUB_TOKENS.length;
  const tokens = STUB_TOKENS.slice(0, limit);
  return {
    text: tokens.join(''),
    tokens,
    stopReason: tokens.length < STUB_TOKENS.length ? 'max_tokens' : 'end_turn',
    usage: { input: request.inputTokens, output: tokens.length, cacheCreation: 0, cacheRead: 0 },
  };
}

const usageJson = (t: Tokens) => ({
  input_tokens: t.input,
  cache_creation_input_tokens: t.cacheCreation,
  cache_read_input_tokens: t.cacheRead,
  output_tokens: t.output,
});

/** The Message object of a non-streaming answer. */
export function stubMessage(request: StubRequest, now: number) {
  const answer = stubAnswer(request);
  return {
    id: newId('msg', now),
    type: 'message',
    role: 'assistant',
    model: request.model,
    content: [{ type: 'text', text: answer.text }],
    stop_reason: answer.stopReason,
    stop_sequence: null,
    usage: { ...usageJson(answer.usage), service_tier: 'standard' },
  };
}

const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/** A streaming answer as its server-sent events, one string per event, in the real API's order. */
export function stubStreamEvents(request: StubRequest, now: number): string[] {
  const answer = stubAnswer(request);
  const start = { ...answer.usage, output: Math.min(1, answer.usage.output) };
  return [
    sse('message_start', {
      type: 'message_start',
      message: {
        id: newId('msg', now), type: 'message', role: 'assistant', model: request.model, content: [],
        stop_reason: null, stop_sequence: null, usage: { ...usageJson(start), service_tier: 'standard' },
      },
    }),
    sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    sse('ping', { type: 'ping' }),
    ...answer.tokens.map((text) => sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } })),
    sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
    sse('message_delta', { type: 'message_delta', delta: { stop_reason: answer.stopReason, stop_sequence: null }, usage: usageJson(answer.usage) }),
    sse('message_stop', { type: 'message_stop' }),
  ];
}
