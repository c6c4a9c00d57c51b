import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Seen {
  method: string;
  status: number | null;
  replayed: string | null;
  idempotencyKey: string | null;
}

/**
 * A proxy between an SDK and uprof that can lose answers: it forwards each request, and for the next `lose`
 * POSTs reads uprof's whole answer and then drops the client's connection instead of passing it on. With
 * `loseFirstPerKey`, it loses the first answer to each `Idempotency-Key` it sees (for a client in another
 * process, which the test cannot arm between calls).
 */
export class LossyProxy {
  lose = 0;
  loseFirstPerKey = false;
  private readonly keysSeen = new Set<string>();
  readonly seen: Seen[] = [];
  private server: Server | null = null;
  url = '';

  constructor(private readonly upstream: string) {}

  async start(): Promise<void> {
    this.server = createServer((request, response) => void this.forward(request, response).catch(() => request.socket.destroy()));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  /** Forwards one request to uprof; while `lose` lasts, a POST's answer is dropped on the way back. */
  private async forward(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value === undefined || ['host', 'connection', 'content-length', 'keep-alive'].includes(name)) continue;
      headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const answer = await fetch(this.upstream + request.url, {
      method: request.method,
      headers,
      body: chunks.length > 0 ? Buffer.concat(chunks) : undefined,
    });
    const body = Buffer.from(await answer.arrayBuffer());
    const seen: Seen = {
      method: request.method!, status: answer.status, replayed: answer.headers.get('idempotent-replayed'),
      idempotencyKey: headers['idempotency-key'] ?? null,
    };
    this.seen.push(seen);
    const firstOfKey = this.loseFirstPerKey && seen.idempotencyKey !== null && !this.keysSeen.has(seen.idempotencyKey);
    if (seen.idempotencyKey !== null) this.keysSeen.add(seen.idempotencyKey);
    if (request.method === 'POST' && (this.lose > 0 || firstOfKey)) {
      if (!firstOfKey) this.lose--;
      seen.status = null; // uprof answered; the client never hears it
      request.socket.destroy();
      return;
    }
    const out: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      if (!['content-length', 'connection', 'keep-alive', 'transfer-encoding', 'content-encoding'].includes(name)) out[name] = value;
    });
    response.writeHead(answer.status, out).end(body);
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise((resolve) => this.server?.close(resolve));
  }
}
