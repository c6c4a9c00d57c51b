import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { billToOf } from '../../src/gateway/attribution.ts';
import { screenBatch } from '../../src/gateway/batches.ts';
import { readStubRequest, stubAnswer, STUB_TOKENS } from '../../src/gateway/stub.ts';
import { returnedHeaders, upstreamRequestHeaders } from '../../src/gateway/upstream.ts';
import { MAX_BUCKETS, readReportRange } from '../../src/gateway/usage-report.ts';
import { JsonUsageTap, StreamUsageTap } from '../../src/gateway/usage-taps.ts';
import { budgetWindow, tokensOf, withDelta } from '../../src/gateway/usage.ts';
import { assertInvalid } from './assert-api-error.ts';

const sse = (event: string | null, data: unknown) => `${event ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
const STREAM = [
  sse('message_start', { type: 'message_start', message: { usage: { input_tokens: 120, cache_creation_input_tokens: 7, cache_read_input_tokens: 30, output_tokens: 1 } } }),
  sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  sse('ping', { type: 'ping' }),
  sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'héllo 🙂 "message_delta"' } }),
  sse('message_delta', { type: 'message_delta', delta: { stop_reason: null }, usage: { output_tokens: 5 } }),
  sse('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 42 } }),
  sse('message_stop', { type: 'message_stop' }),
].join('');
const EXPECTED = { input: 120, output: 42, cacheCreation: 7, cacheRead: 30 };

describe('StreamUsageTap', () => {
  it('reads message_start and the last message_delta, however the stream is cut into chunks', () => {
    const bytes = Buffer.from(STREAM);
    for (let cut = 1; cut < bytes.length; cut += 7) {
      const tap = new StreamUsageTap();
      tap.push(bytes.subarray(0, cut));
      tap.push(bytes.subarray(cut));
      assert.deepEqual(tap.tokens(), EXPECTED, `cut at byte ${cut}`);
    }
    const byteByByte = new StreamUsageTap();
    for (const byte of bytes) byteByByte.push(Buffer.from([byte]));
    assert.deepEqual(byteByByte.tokens(), EXPECTED, 'one byte at a time (multi-byte characters split)');
  });

  it('takes CRLF line endings, events without an event: line, and cumulative input counts in message_delta', () => {
    const tap = new StreamUsageTap();
    tap.push(Buffer.from(STREAM.replaceAll('\n', '\r\n')));
    assert.deepEqual(tap.tokens(), EXPECTED);
    const unnamed = new StreamUsageTap();
    unnamed.push(Buffer.from(sse(null, { type: 'message_start', message: { usage: { input_tokens: 3, output_tokens: 1 } } }) +
      sse(null, { type: 'message_delta', usage: { output_tokens: 9, input_tokens: 4, cache_read_input_tokens: null } })));
    assert.deepEqual(unnamed.tokens(), { input: 4, output: 9, cacheCreation: 0, cacheRead: 0 }, 'a null count keeps the start\'s');
  });

  it('has nothing to say of a stream without usage (an error event, or cut before message_start)', () => {
    const tap = new StreamUsageTap();
    tap.push(Buffer.from(sse('error', { type: 'error', error: { type: 'overloaded_error', message: 'x' } })));
    assert.equal(tap.tokens(), null);
    const cut = new StreamUsageTap();
    cut.push(Buffer.from(STREAM.slice(0, 30)));
    assert.equal(cut.tokens(), null);
  });
});

describe('JsonUsageTap', () => {
  it('reads usage from a whole JSON body, in chunks; an error or a broken body has none', () => {
    const body = Buffer.from(JSON.stringify({ type: 'message', usage: { input_tokens: 10, output_tokens: 2, cache_read_input_tokens: 1 } }));
    const tap = new JsonUsageTap();
    tap.push(body.subarray(0, 5));
    tap.push(body.subarray(5));
    assert.deepEqual(tap.tokens(), { input: 10, output: 2, cacheCreation: 0, cacheRead: 1 });
    const error = new JsonUsageTap();
    error.push(Buffer.from('{"type":"error","error":{"type":"api_error","message":"x"}}'));
    assert.equal(error.tokens(), null);
    const broken = new JsonUsageTap();
    broken.push(Buffer.from('{"usage": {'));
    assert.equal(broken.tokens(), null);
  });
});

describe('usage counts', () => {
  it('count only non-negative safe integers', () => {
    assert.deepEqual(tokensOf({ input_tokens: -1, output_tokens: 1.5, cache_creation_input_tokens: '3', cache_read_input_tokens: 2 ** 60 }),
      { input: 0, output: 0, cacheCreation: 0, cacheRead: 0 });
    assert.deepEqual(tokensOf('nope'), { input: 0, output: 0, cacheCreation: 0, cacheRead: 0 });
    assert.deepEqual(withDelta({ input: 1, output: 1, cacheCreation: 1, cacheRead: 1 }, { output_tokens: 0 }), { input: 1, output: 0, cacheCreation: 1, cacheRead: 1 });
  });

  it('budget windows are UTC days and calendar months', () => {
    const at = (iso: string) => Date.parse(iso);
    assert.deepEqual(budgetWindow('day', at('2026-12-31T23:59:59.999Z')), { start: at('2026-12-31T00:00:00Z'), end: at('2027-01-01T00:00:00Z') });
    assert.deepEqual(budgetWindow('day', at('2027-01-01T00:00:00Z')), { start: at('2027-01-01T00:00:00Z'), end: at('2027-01-02T00:00:00Z') });
    assert.deepEqual(budgetWindow('month', at('2028-02-29T12:00:00Z')), { start: at('2028-02-01T00:00:00Z'), end: at('2028-03-01T00:00:00Z') });
    assert.deepEqual(budgetWindow('month', at('2026-12-15T00:00:00Z')), { start: at('2026-12-01T00:00:00Z'), end: at('2027-01-01T00:00:00Z') });
  });
});

describe('readReportRange', () => {
  const now = Date.parse('2026-06-15T10:30:00Z');
  it('defaults: the last 30 days by day, from the start of the first day', () => {
    const range = readReportRange({}, now);
    assert.deepEqual([range.granularity, range.from, range.to], ['day', Date.parse('2026-05-16T00:00:00Z'), now]);
    assert.equal(readReportRange({ granularity: 'minute' }, now).from, now - 3_600_000);
  });

  it(`at most ${MAX_BUCKETS} buckets, from before to, a known granularity`, () => {
    const to = '2026-06-02T00:00:00Z';
    assert.equal(readReportRange({ granularity: 'minute', from: '2026-06-01T00:00:00Z', to }, now).bucketMs, 60_000, 'exactly 1,440 minutes');
    assertInvalid(() => readReportRange({ granularity: 'minute', from: '2026-05-31T23:59:00Z', to }, now), /at most 1440 buckets/);
    assertInvalid(() => readReportRange({ from: to, to }, now), /from: must be before to/);
    assertInvalid(() => readReportRange({ granularity: 'week' }, now), /granularity/);
    assertInvalid(() => readReportRange({ from: 'yesterday' }, now), /from/);
  });
});

describe('forwarded headers', () => {
  it("drop hop-by-hop headers, those named in connection, uprof's own and the caller's key; add the upstream key", () => {
    const sent = upstreamRequestHeaders({
      host: 'uprof.local', connection: 'keep-alive, x-hop', 'x-hop': '1', 'keep-alive': 'timeout=5', 'transfer-encoding': 'chunked',
      'content-length': '999', te: 'trailers', upgrade: 'h2c', 'proxy-authorization': 'x', expect: '100-continue',
      'x-api-key': 'sk-uprof-api01-secret', authorization: 'Bearer sk-uprof-api01-secret', 'anthropic-user-profile-id': 'uprof_1',
      'anthropic-workspace-id': 'wrkspc_1', cookie: 'uprof_console=1', 'accept-encoding': 'gzip',
      'anthropic-version': '2023-06-01', 'anthropic-beta': 'a,b', 'x-stainless-os': 'Linux', 'user-agent': 'sdk',
    }, 'sk-upstream', 12);
    assert.deepEqual(sent, {
      'anthropic-version': '2023-06-01', 'anthropic-beta': 'a,b', 'x-stainless-os': 'Linux', 'user-agent': 'sdk',
      'x-api-key': 'sk-upstream', 'content-length': 12,
    });
    assert.equal(upstreamRequestHeaders({ 'x-api-key': 'k' }, null, null)['x-api-key'], undefined, 'no UPSTREAM_API_KEY: no key at all');
  });

  it("come back without hop-by-hop headers, with the upstream's request-id renamed and its length dropped when uprof rewrote the body", () => {
    const answer = { 'content-type': 'application/json', 'content-length': '10', 'request-id': 'req_up', 'anthropic-workspace-id': 'w', connection: 'close', 'retry-after': '3' };
    assert.deepEqual(returnedHeaders(answer, false), { 'content-type': 'application/json', 'content-length': '10', 'retry-after': '3', 'upstream-request-id': 'req_up' });
    assert.equal(returnedHeaders(answer, true)['content-length'], undefined);
  });
});

describe('billToOf', () => {
  it('self unless billing_policy says user_profile; a malformed policy is a 400 naming the field', () => {
    assert.equal(billToOf({}), 'self');
    assert.equal(billToOf({ billing_policy: null }), 'self');
    assert.equal(billToOf({ billing_policy: { type: 'billing_policy' } }), 'self');
    assert.equal(billToOf({ billing_policy: { type: 'billing_policy', bill_to: 'user_profile' } }), 'user_profile');
    assertInvalid(() => billToOf({ billing_policy: [] }), /billing_policy: expected an object/);
    assertInvalid(() => billToOf({ billing_policy: { bill_to: 'self' } }), /billing_policy\.type/);
    assertInvalid(() => billToOf({ billing_policy: { type: 'billing_policy', bill_to: 'USER_PROFILE' } }), /billing_policy\.bill_to/);
  });
});

describe('screenBatch', () => {
  const params = { model: 'm', max_tokens: 1, messages: [] };
  it('keeps agreeing requests (without their user_profile_id), errors conflicting ones and those billing a profile', () => {
    const screened = screenBatch([
      { customId: 'plain', params },
      { customId: 'same', params: { ...params, user_profile_id: 'uprof_a' } },
      { customId: 'other', params: { ...params, user_profile_id: 'uprof_b' } },
      { customId: 'bills', params: { ...params, billing_policy: { type: 'billing_policy', bill_to: 'user_profile' } } },
      { customId: 'self', params: { ...params, billing_policy: { type: 'billing_policy', bill_to: 'self' } } },
    ], 'uprof_a');
    assert.deepEqual(screened.kept.map((r) => [r.customId, 'user_profile_id' in r.params]), [['plain', false], ['same', false], ['self', false]]);
    assert.deepEqual(screened.errored.map((e) => [e.customId, e.reason]), [['other', 'user_profile_conflict'], ['bills', 'billing_policy_not_supported']]);
    assert.equal(screened.changed, true);
    assert.equal(screenBatch([{ customId: 'plain', params }], 'uprof_a').changed, false, 'nothing to change: the body goes as it came');
    assert.deepEqual(screenBatch([{ customId: 'x', params: { ...params, user_profile_id: 'uprof_a' } }], null).errored.map((e) => e.reason), ['user_profile_conflict'],
      'a batch without the header: any profile named by a request conflicts');
  });
});

describe('the stub model', () => {
  it('counts input tokens by the documented rule and cuts the answer at max_tokens', () => {
    const body = { model: 'm', max_tokens: 2, system: 'Be brief.', messages: [{ role: 'user', content: 'Hi' }] };
    const request = readStubRequest(body, { countTokens: false });
    // JSON.stringify(["Be brief.",[{"role":"user","content":"Hi"}],null]) is 51 bytes → ceil(51 / 4)
    assert.equal(request.inputTokens, 13);
    assert.deepEqual(stubAnswer(request).tokens, STUB_TOKENS.slice(0, 2));
    assert.equal(stubAnswer(request).stopReason, 'max_tokens');
    assert.equal(stubAnswer({ ...request, maxTokens: STUB_TOKENS.length }).stopReason, 'end_turn');
    assert.equal(readStubRequest({ model: 'm', messages: body.messages }, { countTokens: true }).maxTokens, null, 'count_tokens takes no max_tokens');
    assertInvalid(() => readStubRequest({ ...body, max_tokens: 2.5 }, { countTokens: false }), /max_tokens/);
    assertInvalid(() => readStubRequest({ ...body, stream: 'yes' }, { countTokens: false }), /stream/);
  });
});
