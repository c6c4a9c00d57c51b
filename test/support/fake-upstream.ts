/**
 * A fake Anthropic-compatible upstream for the gateway tests (node:http on 127.0.0.1): it records every request
 * exactly as it arrived (method, path with query, headers, body bytes) and answers from a script. By default it
 * answers like the Messages API, with usage that depends on the request (so metering can be checked), and
 * streams whose events it sends one write at a time; a test may hold a stream after its first event (`hold`)
 * to see that the gateway does not wait for the rest.
 */
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** header names and values in the order they arrived (repeated headers stay separate) */
  rawHeaders: string[];
  body: Buffer;
}

/** An answer the test scripts for the next request(s). */
export interface Scripted {
  status: number;
  headers?: Record<string, string>;
  body: string;
}

/** What the fake's default Messages answer reports for a body: derived from the body, different per request. */
export function fakeUsage(body: Buffer) {
  const n = body.length;
  return {
    input_tokens: 10 + (n % 97),
    cache_creation_input_tokens: n % 5,
    cache_read_input_tokens: (n * 7) % 11,
    output_tokens: 3 + (n % 13),
  };
}

export const sse = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

/** The events of the fake's default stream for a body: what the client must receive, byte for byte and in order. */
export function fakeStreamEvents(body: Buffer): string[] {
  const usage = fakeUsage(body);
  const parts = ['Fake ', 'upstream ', 'says ', 'hello.'];
  return [
    sse('message_start', {
      type: 'message_start',
      message: {
        id: 'msg_fake', type: 'message', role: 'assistant', model: 'fake-model', content: [], stop_reason: null, stop_sequence: null,
        usage: { ...usage, output_tokens: 1 },
      },
    }),
    sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    sse('ping', { type: 'ping' }),
    ...parts.map((text) => sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } })),
    sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
    // as older API versions do: only output_tokens in the final delta
    sse('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: usage.output_tokens } }),
    sse('message_stop', { type: 'message_stop' }),
  ];
}

export function fakeMessage(body: Buffer) {
  return {
    id: 'msg_fake', type: 'message', role: 'assistant', model: 'fake-model', content: [{ type: 'text', text: 'Fake upstream says hello.' }],
    stop_reason: 'end_turn', stop_sequence: null, usage: fakeUsage(body),
  };
}

export class FakeUpstream {
  readonly received: Received[] = [];
  /** answers for the next requests, taken in order before the default */
  readonly script: Scripted[] = [];
  /** when set, a stream stops after its first event until `release()` */
  private held: { release: () => void; released: Promise<void> } | null = null;
  /** resolves when a held stream has sent its first event */
  private firstEventSent: (() => void) | null = null;
  /** batches the fake holds: id → its requests' custom ids and results */
  readonly batches = new Map<string, { results: string; canceled: boolean }>();
  private batchCount = 0;
  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(): Promise<FakeUpstream> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => void fake.answer({ method: request.method!, url: request.url!, headers: request.headers, rawHeaders: request.rawHeaders, body: Buffer.concat(chunks) }, response));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    // requests come once start() has returned, so the handler above never meets `fake` before this line
    const fake = new FakeUpstream(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return fake;
  }

  /** Holds the next stream after its first event; resolves once that event has been written. */
  hold(): Promise<void> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    this.held = { release, released };
    return new Promise((resolve) => (this.firstEventSent = resolve));
  }

  release(): void {
    this.held?.release();
    this.held = null;
  }

  private async answer(received: Received, response: ServerResponse): Promise<void> {
    this.received.push(received);
    const scripted = this.script.shift();
    if (scripted) {
      response.writeHead(scripted.status, { 'content-type': 'application/json', ...scripted.headers });
      response.end(scripted.body);
      return;
    }
    const path = received.url.split('?')[0];
    const json = (status: number, value: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json', 'request-id': 'req_fake_upstream', 'x-fake-upstream': 'yes' });
      response.end(JSON.stringify(value));
    };
    if (path === '/v1/messages') {
      const body = JSON.parse(received.body.toString('utf8') || '{}');
      if (!body.stream) return json(200, fakeMessage(received.body));
      response.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'request-id': 'req_fake_upstream', 'x-fake-upstream': 'yes' });
      const events = fakeStreamEvents(received.body);
      for (const [i, event] of events.entries()) {
        response.write(event);
        if (i === 0 && this.held) {
          const held = this.held;
          this.firstEventSent?.();
          await held.released;
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      response.end();
      return;
    }
    if (path === '/v1/messages/count_tokens') return json(200, { input_tokens: fakeUsage(received.body).input_tokens });
    if (path === '/v1/messages/batches' && received.method === 'POST') {
      const { requests } = JSON.parse(received.body.toString('utf8'));
      const id = `msgbatch_fake${++this.batchCount}`;
      const results = (requests as { custom_id: string; params: unknown }[])
        .map((r) => JSON.stringify({ custom_id: r.custom_id, result: { type: 'succeeded', message: fakeMessage(Buffer.from(JSON.stringify(r.params))) } }))
        .join('\n');
      this.batches.set(id, { results, canceled: false });
      return json(200, this.batchObject(id, requests.length, 'in_progress'));
    }
    const match = /^\/v1\/messages\/batches\/([^/]+)(\/results|\/cancel)?$/.exec(path);
    const batch = match ? this.batches.get(match[1]) : undefined;
    if (!match || !batch) return json(404, { type: 'error', error: { type: 'not_found_error', message: 'fake: no such thing' }, request_id: 'req_fake_upstream' });
    const count = batch.results.split('\n').length;
    if (match[2] === '/results') {
      response.writeHead(200, { 'content-type': 'application/binary' });
      response.end(batch.results); // no newline after the last line, as the hosted API may do
      return;
    }
    if (match[2] === '/cancel') {
      batch.canceled = true;
      return json(200, this.batchObject(match[1], count, 'canceling'));
    }
    return json(200, this.batchObject(match[1], count, 'ended'));
  }

  private batchObject(id: string, count: number, status: 'in_progress' | 'canceling' | 'ended') {
    const ended = status === 'ended';
    return {
      id, type: 'message_batch', processing_status: status,
      request_counts: { processing: ended ? 0 : count, succeeded: ended ? count : 0, errored: 0, canceled: 0, expired: 0 },
      ended_at: ended ? '2026-01-01T00:00:01Z' : null, created_at: '2026-01-01T00:00:00Z', expires_at: '2026-01-02T00:00:00Z',
      archived_at: null, cancel_initiated_at: status === 'canceling' ? '2026-01-01T00:00:00Z' : null,
      results_url: ended ? `${this.url}/v1/messages/batches/${id}/results` : null,
    };
  }

  async close(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
