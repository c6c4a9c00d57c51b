import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { ErrorType } from '../errors.js';
import { newId } from '../ids.js';

/**
 * The edge of the HTTP server, below Fastify's routes: answers to requests Node refuses before any route
 * sees them (malformed HTTP, headers too large, too slow), the answer while shutting down, and the cap on
 * connections. Every one of them is Anthropic's envelope with a `request-id` (decisions §7, §40, §44).
 */

/** Node's limit on the request line and headers together (its `maxHeaderSize` default). */
export const MAX_HEADER_BYTES = 16 * 1024;

/** A complete HTTP/1.1 error response that closes the connection, for a socket no route will answer. */
export function envelopeResponse(status: number, type: ErrorType, message: string, headers: Record<string, string> = {}): string {
  const requestId = newId('req');
  const body = JSON.stringify({ type: 'error', error: { type, message }, request_id: requestId });
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}`,
    'content-type: application/json',
    `content-length: ${Buffer.byteLength(body)}`,
    `request-id: ${requestId}`,
    'connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** What llhttp's refusals mean, in words a client can act on. */
const MALFORMED: Record<string, string> = {
  HPE_INVALID_METHOD: 'the request line has an unknown method',
  HPE_INVALID_URL: 'the request target is not a valid URL path',
  HPE_INVALID_VERSION: 'the request line does not end in HTTP/1.0 or HTTP/1.1',
  HPE_INVALID_CONSTANT: 'the request line is malformed',
  HPE_INVALID_HEADER_TOKEN: 'a header name or value contains a character HTTP does not allow (a NUL byte, a control character, a space before the colon)',
  HPE_LF_EXPECTED: 'a line does not end in CRLF',
  HPE_CR_EXPECTED: 'a line does not end in CRLF',
  HPE_UNEXPECTED_CONTENT_LENGTH: 'it sends both Content-Length and Transfer-Encoding',
  HPE_INVALID_CONTENT_LENGTH: 'its Content-Length is not a number, or is sent twice with different values',
  HPE_INVALID_TRANSFER_ENCODING: 'its Transfer-Encoding cannot be used (sent together with Content-Length, or chunked is not the last coding)',
  HPE_INVALID_CHUNK_SIZE: 'a chunk size is not a hexadecimal number',
  HPE_STRICT: 'it breaks HTTP/1.1 framing rules',
  HPE_INVALID_STATUS: 'it is a response, not a request',
  HPE_INVALID_EOF_STATE: 'the connection ended in the middle of the request',
};

/** The answer to a request Node refused: which status, in which words. */
function clientErrorResponse(error: NodeJS.ErrnoException, timeouts: { headersMs: number; requestMs: number }): string {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return envelopeResponse(431, 'invalid_request_error', `The request line and headers exceed ${MAX_HEADER_BYTES / 1024} KB.`);
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return envelopeResponse(413, 'request_too_large', 'The chunk extensions of the request body are too large.');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return envelopeResponse(408, 'invalid_request_error',
        `The request was not received in time: headers must arrive within ${timeouts.headersMs / 1000} s and the whole request within ${timeouts.requestMs / 1000} s.`);
    default:
      return envelopeResponse(400, 'invalid_request_error', `The request is not valid HTTP/1.1: ${MALFORMED[error.code ?? ''] ?? 'it could not be parsed'}.`);
  }
}

/**
 * Node's clientError: a request that never reached a route, or whose body broke off. Answer it in the
 * envelope and close. When an earlier request on the connection was received in full and its answer is still
 * being made (pipelining), that answer goes out first; when the answer in flight belongs to the broken request
 * itself, ours replaces it, unless it has started already (then the connection can only be closed).
 */
export function answerClientError(error: NodeJS.ErrnoException, socket: Socket, timeouts: { headersMs: number; requestMs: number }): void {
  const inFlight = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
  if (error.code === 'ECONNRESET' || error.code === 'EPIPE' || !socket.writable || (inFlight && inFlight.headersSent && !inFlight.req.complete)) {
    socket.destroy();
    return;
  }
  const answer = () => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(clientErrorResponse(error, timeouts));
    // a client that keeps sending after our answer must not hold the connection
    setTimeout(() => socket.destroy(), 1000).unref();
  };
  if (!inFlight || !inFlight.req.complete || inFlight.writableFinished) return answer();
  const giveUp = setTimeout(() => socket.destroy(), timeouts.requestMs).unref();
  inFlight.once('finish', () => {
    clearTimeout(giveUp);
    answer();
  });
}

/**
 * What shutting down answers: 503 in the envelope with `connection: close` and `retry-after`, to requests that
 * arrive on open connections after close() began (Fastify's own return503OnClosing answers outside the envelope).
 * No `x-should-retry: false`: a retry is exactly what the client should do, against another process.
 */
export function answerWhileClosing(app: FastifyInstance): void {
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onRequest', (request, reply, done) => {
    if (!closing) return done();
    reply
      .code(503)
      .header('connection', 'close')
      .header('retry-after', '1')
      .type('application/json')
      .send({
        type: 'error',
        error: { type: 'overloaded_error', message: 'This server process is shutting down; retry the request.' },
        request_id: request.id,
      });
  });
}

/** RFC 9112 §3.2: an HTTP/1.1 request without Host is a 400 (Node's own check answers outside the envelope). */
export function requireHost(app: FastifyInstance): void {
  app.addHook('onRequest', (request, reply, done) => {
    const raw = request.raw;
    if (raw.httpVersion !== '1.1' || raw.headers.host !== undefined) return done();
    reply
      .code(400)
      .header('connection', 'close')
      .type('application/json')
      .send({
        type: 'error',
        error: { type: 'invalid_request_error', message: 'The request has no Host header, which HTTP/1.1 requires.' },
        request_id: request.id,
      });
  });
}

/**
 * A cap on open connections that a flood of slow or idle sockets cannot fill. Each connection is either
 * *busy* (a request has arrived in full headers and its answer is not finished) or *waiting* (new and still
 * sending its headers, or idle between keep-alive requests). At the cap, a new connection first reclaims
 * the connection that has been waiting longest — a slowloris socket or an idle keep-alive one, both of
 * which a client can simply open again — and only when every connection is busy is the new one refused, at
 * once, with a 503 in the envelope. Busy connections are bounded in time by the request timeout.
 */
export class ConnectionCap {
  /** every open connection → is it busy */
  private readonly busy = new Map<Socket, boolean>();
  /** the waiting ones, longest-waiting first (a Map keeps insertion order) */
  private readonly waiting = new Map<Socket, true>();
  reclaimed = 0;
  refused = 0;

  constructor(server: Server, readonly max: number) {
    server.on('connection', (socket: Socket) => this.admit(socket));
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const socket = request.socket;
      if (!this.busy.has(socket)) return;
      this.markBusy(socket);
      response.once('close', () => {
        if (this.busy.has(socket)) this.markWaiting(socket);
      });
    });
  }

  get open(): number {
    return this.busy.size;
  }

  private markBusy(socket: Socket): void {
    this.busy.set(socket, true);
    this.waiting.delete(socket);
  }

  private markWaiting(socket: Socket): void {
    this.busy.set(socket, false);
    this.waiting.delete(socket);
    this.waiting.set(socket, true);
  }

  private admit(socket: Socket): void {
    if (this.busy.size >= this.max) {
      const oldest = this.waiting.keys().next();
      if (oldest.done) {
        this.refused++;
        socket.end(envelopeResponse(503, 'overloaded_error', 'This server has as many connections open as it allows; retry shortly.', { 'retry-after': '1' }));
        setTimeout(() => socket.destroy(), 1000).unref();
        return;
      }
      this.reclaimed++;
      this.forget(oldest.value);
      oldest.value.destroy();
    }
    this.markWaiting(socket);
    socket.once('close', () => this.forget(socket));
  }

  private forget(socket: Socket): void {
    this.busy.delete(socket);
    this.waiting.delete(socket);
  }
}
