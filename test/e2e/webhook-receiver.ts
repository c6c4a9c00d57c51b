/**
 * A webhook receiver on 127.0.0.1 (node:http) for the delivery tests: one path per endpoint under test, a
 * scripted answer per request (a status, `'hang'` = never answer, or `'hold'` = answer 200 once the test
 * releases the path), and every delivery verified on arrival
 * with the official SDK's `client.beta.webhooks.unwrap()` against the secret registered for its path.
 * Not a test file itself.
 */
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import type { Store } from '../../src/store/index.ts';

export type Answer = number | 'hang' | 'hold';

export interface Delivery {
  path: string;
  headers: Record<string, string>;
  body: string;
  /** when the receiver got it (ms) */
  at: number;
  answered: Answer;
  /** what `unwrap()` returned with the path's secret at arrival, or why it threw */
  verified: { ok: true; event: any } | { ok: false; error: string };
}

/** The SDK whose `unwrap()` every delivery goes through (no API calls are made with it). */
export const verifier = new Anthropic({ apiKey: 'unused', baseURL: 'http://127.0.0.1:9' });

/** `unwrap()`, turned into a result. */
export function unwrap(body: string, headers: Record<string, string>, key: string): Delivery['verified'] {
  try {
    return { ok: true, event: verifier.beta.webhooks.unwrap(body, { headers, key }) };
  } catch (error) {
    return { ok: false, error: String((error as Error).message) };
  }
}

/** `unwrap()` as if the receiver's clock read `Date.now() + shiftMs` (the verifier reads Date.now; synchronous). */
export function unwrapAt(shiftMs: number, body: string, headers: Record<string, string>, key: string): Delivery['verified'] {
  const realNow = Date.now;
  Date.now = () => realNow() + shiftMs;
  try {
    return unwrap(body, headers, key);
  } finally {
    Date.now = realNow;
  }
}

const flatten = (headers: IncomingHttpHeaders) =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));

export class Receiver {
  readonly deliveries: Delivery[] = [];
  private readonly secrets = new Map<string, string>();
  private readonly scripts = new Map<string, Answer[]>();
  private readonly fallback = new Map<string, Answer>();
  private readonly hanging = new Set<ServerResponse>();
  private readonly holding = new Map<string, Set<ServerResponse>>();
  private readonly peakHolding = new Map<string, number>();
  private paths = 0;

  private constructor(private readonly server: Server, readonly origin: string) {}

  static async start(): Promise<Receiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const receiver = new Receiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', () => receiver.receive(req.url ?? '/', flatten(req.headers), Buffer.concat(chunks).toString('utf8'), res));
    });
    return receiver;
  }

  /** A fresh path for one endpoint; its URL is what the endpoint is registered with. */
  newPath(): { path: string; url: string } {
    const path = `/hooks/${++this.paths}`;
    return { path, url: this.origin + path };
  }

  /** The signing secret deliveries to `path` are verified with from now on. */
  useSecret(path: string, secret: string): void {
    this.secrets.set(path, secret);
  }

  /** The next answers for `path`, in order; after them `then` (default 200). */
  script(path: string, answers: Answer[], then: Answer = 200): void {
    this.scripts.set(path, [...answers]);
    this.fallback.set(path, then);
  }

  to(path: string): Delivery[] {
    return this.deliveries.filter((d) => d.path === path);
  }

  /** The events delivered to `path` (each delivery must have verified). */
  events(path: string): any[] {
    return this.to(path).map((d) => {
      assert.ok(d.verified.ok, `delivery to ${path} failed verification: ${JSON.stringify(d.verified)}`);
      return (d.verified as { event: any }).event;
    });
  }

  /** Waits (bounded) until `path` has received `count` deliveries; returns them. */
  async waitFor(path: string, count: number, timeoutMs = 10_000): Promise<Delivery[]> {
    await waitUntil(() => this.to(path).length >= count, `${count} deliveries to ${path} (got ${this.to(path).length})`, timeoutMs);
    return this.to(path);
  }

  /** Requests to `path` held unanswered right now (`'hold'`). */
  held(path: string): number {
    return this.holding.get(path)?.size ?? 0;
  }

  /** The most requests to `path` ever held at once. */
  peakHeld(path: string): number {
    return this.peakHolding.get(path) ?? 0;
  }

  /** Answers 200 to every request held at `path`; the ones that arrive later are answered by the script. */
  release(path: string): void {
    for (const res of this.holding.get(path) ?? []) res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    this.holding.get(path)?.clear();
  }

  private receive(path: string, headers: Record<string, string>, body: string, res: ServerResponse): void {
    const script = this.scripts.get(path);
    const answered: Answer = script?.shift() ?? this.fallback.get(path) ?? 200;
    const secret = this.secrets.get(path);
    const verified = secret ? unwrap(body, headers, secret) : { ok: false as const, error: 'no secret registered for this path' };
    this.deliveries.push({ path, headers, body, at: Date.now(), answered, verified });
    if (answered === 'hang') {
      this.hanging.add(res);
      res.on('close', () => this.hanging.delete(res));
      return;
    }
    if (answered === 'hold') {
      const holding = this.holding.get(path) ?? new Set<ServerResponse>();
      this.holding.set(path, holding);
      holding.add(res);
      this.peakHolding.set(path, Math.max(holding.size, this.peakHeld(path)));
      res.on('close', () => holding.delete(res));
      return;
    }
    res.writeHead(answered, { 'content-type': 'text/plain' }).end(answered < 300 ? 'ok' : 'no');
  }

  async close(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    for (const held of this.holding.values()) for (const res of held) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Waits until the worker has nothing left to do for an organization: no delivery to an enabled endpoint
 * is still pending. (How "nothing more will arrive" can be known without sleeping.)
 */
export function deliveriesSettled(server: { store: Store }, organizationId: string): Promise<void> {
  return waitUntil(async () => {
    const row = await server.store.sql.get<{ n: number }>(
      `SELECT COUNT(*) AS n FROM webhook_deliveries d JOIN webhook_endpoints e ON e.organization_id = d.organization_id AND e.id = d.endpoint_id
       WHERE d.organization_id = ? AND d.state = 'pending' AND e.state = 'enabled'`,
      [organizationId],
    );
    return Number(row?.n) === 0;
  }, `no pending deliveries for ${organizationId}`);
}

/** Polls `condition` every 20 ms until it holds; fails with `what` after `timeoutMs`. */
export async function waitUntil(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
