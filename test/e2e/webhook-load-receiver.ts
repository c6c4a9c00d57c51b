/**
 * A webhook receiver for the crash and multi-process delivery tests (not a test file itself). Unlike
 * webhook-receiver.ts it answers per EVENT rather than per path: a policy sees each request's `webhook-id`
 * and how many times that id has arrived, and answers a status (optionally after a delay) or hangs. It
 * verifies every request on arrival with the official SDK's `unwrap()`, counts how many requests of one
 * `webhook-id` are open at the same time, and tells which uprof process sent a request (Linux: the
 * owner of the client socket, read from /proc).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { unwrap, waitUntil, type Delivery } from './webhook-receiver.ts';

export { waitUntil };

/** A status now, a status after `afterMs`, or never an answer. */
export type Reply = number | { status: number; afterMs: number } | 'hang';

export interface Arrival {
  webhookId: string;
  body: string;
  headers: Record<string, string>;
  /** when it arrived (ms) */
  at: number;
  /** its place among the arrivals of its `webhook-id`, from 1 */
  nth: number;
  verified: Delivery['verified'];
  /** the status sent back, once it was (null: not answered, e.g. the sender died first or 'hang') */
  answered: number | null;
  answeredAt: number | null;
  /** the pid of the process that sent it, when it could be told */
  sender: number | null;
}

const flatten = (headers: IncomingHttpHeaders) =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]));

/** `127.0.0.1:port` as /proc/net/tcp writes it */
const procAddress = (port: number) => `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;

/** The pid among `pids` that holds the client end of `socket` (a loopback connection to us), or null. */
function socketOwner(socket: Socket, pids: readonly number[]): number | null {
  try {
    const client = procAddress(socket.remotePort!);
    const server = procAddress(socket.localPort!);
    const line = readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .find((f) => f[1] === client && f[2] === server);
    if (!line) return null;
    const link = `socket:[${line[9]}]`;
    for (const pid of pids) {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          if (readlinkSync(`/proc/${pid}/fd/${fd}`) === link) return pid;
        } catch {
          // the descriptor closed meanwhile
        }
      }
    }
  } catch {
    // no /proc (not Linux) or the process is gone
  }
  return null;
}

export class LoadReceiver {
  readonly arrivals: Arrival[] = [];
  /** how each request is answered; `nth` counts the arrivals of its webhook-id, this one included */
  policy: (request: { webhookId: string; nth: number }) => Reply = () => 200;
  /** the pids whose requests are attributed (see Arrival.sender) */
  senders: number[] = [];
  private secret = '';
  private readonly open = new Map<string, number>();
  private readonly peak = new Map<string, number>();
  private readonly owners = new WeakMap<Socket, number | null>();
  private readonly pending = new Set<ServerResponse>();
  private readonly openArrivals = new Set<Arrival>();

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(): Promise<LoadReceiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const receiver = new LoadReceiver(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`);
    server.on('connection', (socket) => receiver.owners.set(socket, socketOwner(socket, receiver.senders)));
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk) => chunks.push(chunk));
      req.on('end', () => receiver.receive(flatten(req.headers), Buffer.concat(chunks).toString('utf8'), res));
    });
    return receiver;
  }

  /** the signing secret every request is verified with */
  useSecret(secret: string): void {
    this.secret = secret;
  }

  /** requests received and not answered yet */
  get unanswered(): Arrival[] {
    return [...this.openArrivals];
  }

  /** the most requests of one webhook-id that were ever open at once */
  peakConcurrency(webhookId: string): number {
    return this.peak.get(webhookId) ?? 0;
  }

  /** arrivals grouped by webhook-id, in arrival order */
  byWebhookId(): Map<string, Arrival[]> {
    const groups = new Map<string, Arrival[]>();
    for (const a of this.arrivals) groups.set(a.webhookId, [...(groups.get(a.webhookId) ?? []), a]);
    return groups;
  }

  private receive(headers: Record<string, string>, body: string, res: ServerResponse): void {
    const webhookId = headers['webhook-id'] ?? '';
    const nth = this.arrivals.filter((a) => a.webhookId === webhookId).length + 1;
    const arrival: Arrival = {
      webhookId, body, headers, at: Date.now(), nth,
      verified: unwrap(body, headers, this.secret),
      answered: null, answeredAt: null,
      sender: this.owners.get(res.socket!) ?? null,
    };
    this.arrivals.push(arrival);
    const now = (this.open.get(webhookId) ?? 0) + 1;
    this.open.set(webhookId, now);
    this.peak.set(webhookId, Math.max(now, this.peak.get(webhookId) ?? 0));
    this.openArrivals.add(arrival);
    this.pending.add(res);
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      this.open.set(webhookId, this.open.get(webhookId)! - 1);
      this.openArrivals.delete(arrival);
      this.pending.delete(res);
    };
    res.on('close', close);

    const reply = this.policy({ webhookId, nth });
    if (reply === 'hang') return;
    const [status, afterMs] = typeof reply === 'number' ? [reply, 0] : [reply.status, reply.afterMs];
    const answer = () => {
      if (closed || res.destroyed) return; // the sender is gone: nothing was answered
      arrival.answered = status;
      arrival.answeredAt = Date.now();
      // counted as closed once answered: the sender may reuse the connection at once
      close();
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : 'no');
    };
    if (afterMs > 0) setTimeout(answer, afterMs);
    else answer();
  }

  async close(): Promise<void> {
    for (const res of this.pending) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
