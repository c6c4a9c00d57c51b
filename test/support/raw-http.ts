import { connect, type Socket } from 'node:net';

/**
 * HTTP/1.1 by hand over node:net, for what fetch cannot send: malformed request lines, CL+TE, bad chunks,
 * NUL bytes, no Host, no content-length, bytes trickled slowly.
 */

export interface RawHttpResponse {
  status: number;
  /** header names lower-cased; a repeated header keeps its last value */
  headers: Record<string, string>;
  body: string;
  /** the body as JSON, or undefined */
  json: any;
}

export interface RawExchange {
  responses: RawHttpResponse[];
  /** the server closed the connection (rather than our timeout ending the wait) */
  closedByServer: boolean;
  /** bytes received that did not form a complete response */
  rest: string;
}

/** Splits complete responses off the front of `data` (content-length or chunked bodies; none for 1xx/204/304). */
export function parseResponses(data: Buffer): { responses: RawHttpResponse[]; rest: Buffer } {
  const responses: RawHttpResponse[] = [];
  let offset = 0;
  for (;;) {
    const headEnd = data.indexOf('\r\n\r\n', offset);
    if (headEnd < 0) break;
    const [statusLine, ...lines] = data.subarray(offset, headEnd).toString('latin1').split('\r\n');
    const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
    if (!match) break;
    const status = Number(match[1]);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let cursor = headEnd + 4;
    let body: Buffer;
    if (status < 200 || status === 204 || status === 304) {
      body = Buffer.alloc(0);
    } else if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
      const chunks: Buffer[] = [];
      let complete = false;
      for (;;) {
        const lineEnd = data.indexOf('\r\n', cursor);
        if (lineEnd < 0) break;
        const size = parseInt(data.subarray(cursor, lineEnd).toString('latin1'), 16);
        if (Number.isNaN(size) || data.length < lineEnd + 2 + size + 2) break;
        chunks.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
        cursor = lineEnd + 2 + size + 2;
        if (size === 0) {
          complete = true;
          break;
        }
      }
      if (!complete) break;
      body = Buffer.concat(chunks);
    } else {
      const length = Number(headers['content-length'] ?? 0);
      if (data.length < cursor + length) break;
      body = data.subarray(cursor, cursor + length);
      cursor += length;
    }
    const text = body.toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    responses.push({ status, headers, body: text, json });
    offset = cursor;
  }
  return { responses, rest: data.subarray(offset) };
}

/** Opens a connection to `baseURL` (http://host:port). */
export function openSocket(baseURL: string): Promise<Socket> {
  const url = new URL(baseURL);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/**
 * Writes `request` (one or several pipelined requests, or garbage) and collects what comes back until the
 * server closes the connection, `expect` responses have arrived, or `timeoutMs` passes.
 */
export async function exchange(
  baseURL: string,
  request: string | Buffer,
  options: { expect?: number; timeoutMs?: number; /** half-close after writing: the request ends here */ end?: boolean } = {},
): Promise<RawExchange> {
  const socket = await openSocket(baseURL);
  const chunks: Buffer[] = [];
  return new Promise((resolve) => {
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const { responses, rest } = parseResponses(Buffer.concat(chunks));
      resolve({ responses, closedByServer, rest: rest.toString('latin1') });
    };
    const timer = setTimeout(() => finish(false), options.timeoutMs ?? 10_000);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      if (options.expect !== undefined && parseResponses(Buffer.concat(chunks)).responses.length >= options.expect) finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    if (options.end) socket.end(request);
    else socket.write(request);
  });
}

/** A request head (and optional body) from parts, CRLF-separated; `Host` is added unless `host` is null. */
export function requestBytes(
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string | Buffer = '',
  options: { host?: string | null } = {},
): Buffer {
  const lines = [`${method} ${path} HTTP/1.1`];
  if (options.host !== null) lines.push(`Host: ${options.host ?? 'localhost'}`);
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), Buffer.isBuffer(body) ? body : Buffer.from(body)]);
}
