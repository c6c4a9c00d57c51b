/**
 * Forwarding to UPSTREAM_URL (decisions §39, README "The inference gateway"). What goes upstream is the
 * request as the platform sent it — method, path and query, body bytes, headers — except:
 *
 * - hop-by-hop headers (RFC 9110 §7.6.1: `connection` and the headers it names, `keep-alive`, `proxy-*`, `te`,
 *   `trailer`, `transfer-encoding`, `upgrade`) and those the connection to the upstream sets itself (`host`,
 *   `content-length`, `expect`);
 * - uprof's own: the credentials (`x-api-key`, `authorization`: the upstream gets `UPSTREAM_API_KEY` as
 *   `x-api-key` instead), `anthropic-user-profile-id` and `anthropic-workspace-id` (uprof's ids, which the upstream
 *   does not know), `cookie` (a console session is uprof's);
 * - `accept-encoding`: uprof reads `usage` off the answer, so it asks for it uncompressed.
 *
 * The answer comes back as the upstream gave it — status, headers (minus hop-by-hop ones), body, streams event
 * by event — except that its `request-id` is passed as `upstream-request-id` (every uprof answer carries uprof's own
 * `request-id`, decisions §7), and its `anthropic-workspace-id` gives way to uprof's.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { ApiError } from '../errors.js';
import type { GatewayConfig } from '../config.js';

const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer',
  'transfer-encoding', 'upgrade',
]);
/** request headers that never go upstream as the platform sent them */
const NOT_FORWARDED = new Set([
  ...HOP_BY_HOP, 'host', 'content-length', 'expect',
  'x-api-key', 'authorization', 'anthropic-user-profile-id', 'anthropic-workspace-id', 'cookie', 'accept-encoding',
]);
/** answer headers that never come back as the upstream sent them */
const NOT_RETURNED = new Set([...HOP_BY_HOP, 'request-id', 'anthropic-workspace-id']);

/** The header names a `connection` header lists are hop-by-hop too. */
function connectionTokens(headers: IncomingHttpHeaders): Set<string> {
  const value = headers.connection;
  if (!value) return new Set();
  return new Set(value.split(',').map((token) => token.trim().toLowerCase()).filter(Boolean));
}

/** The headers to send upstream for a platform's request. */
export function upstreamRequestHeaders(incoming: IncomingHttpHeaders, apiKey: string | null, bodyLength: number | null): OutgoingHttpHeaders {
  const named = connectionTokens(incoming);
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || NOT_FORWARDED.has(name) || named.has(name)) continue;
    headers[name] = value;
  }
  if (apiKey !== null) headers['x-api-key'] = apiKey;
  if (bodyLength !== null) headers['content-length'] = bodyLength;
  return headers;
}

/** The headers of the upstream's answer to pass back; `bodyChanged` drops its length (uprof rewrote the body). */
export function returnedHeaders(incoming: IncomingHttpHeaders, bodyChanged: boolean): Record<string, string | string[]> {
  const named = connectionTokens(incoming);
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || NOT_RETURNED.has(name) || named.has(name)) continue;
    if (bodyChanged && name === 'content-length') continue;
    headers[name] = value;
  }
  const requestId = incoming['request-id'];
  if (typeof requestId === 'string') headers['upstream-request-id'] = requestId;
  return headers;
}

/** The upstream could not be reached, or did not start answering in time: uprof answers in the envelope. */
const unreachable = (cause: string) => new ApiError(502, 'api_error', `The upstream API could not be reached (${cause}).`);
const tooSlow = (ms: number) => new ApiError(504, 'timeout_error', `The upstream API did not start answering within ${ms} ms.`);

export interface UpstreamCall {
  method: 'GET' | 'POST';
  /** path and query, as the platform sent them (`/v1/messages?beta=true`) */
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer | null;
}

/** An Anthropic-compatible API at UPSTREAM_URL, reached over kept-alive connections. */
export class Upstream {
  private readonly send: typeof httpRequest;
  private readonly agent: HttpAgent;
  /** where every call goes: the base URL's protocol, host and port, parsed once (TLS takes its name from the host) */
  private readonly target: { protocol: string; hostname: string; port: string };
  /** the base URL's own path (`https://host/anthropic`): calls go under it */
  private readonly basePath: string;

  constructor(private readonly config: GatewayConfig & { upstreamUrl: string }) {
    const base = new URL(config.upstreamUrl);
    const https = base.protocol === 'https:';
    this.send = https ? httpsRequest : httpRequest;
    this.agent = https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    const hostname = base.hostname.replace(/^\[(.*)\]$/, '$1');
    this.target = { protocol: base.protocol, hostname, port: base.port };
    this.basePath = base.pathname.replace(/\/$/, '');
  }

  /**
   * Sends the call and resolves with the upstream's answer once its status and headers arrive (its body still
   * to come). `onCut` is handed the function that cuts the call: the caller runs it when the platform goes away,
   * so that the upstream (and its model) stops too.
   */
  request(call: UpstreamCall, onCut: (cut: () => void) => void): Promise<IncomingMessage> {
    const headers = upstreamRequestHeaders(call.headers, this.config.upstreamApiKey, call.body === null ? null : call.body.length);
    return new Promise((resolve, reject) => {
      const outgoing = this.send({ ...this.target, path: this.basePath + call.path, method: call.method, headers, agent: this.agent });
      onCut(() => outgoing.destroy());
      const timer = setTimeout(() => outgoing.destroy(tooSlow(this.config.upstreamTimeoutMs)), this.config.upstreamTimeoutMs);
      outgoing.once('response', (answer) => {
        clearTimeout(timer);
        resolve(answer);
      });
      outgoing.once('error', (error: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(error instanceof ApiError ? error : unreachable(error.code ?? error.message));
      });
      outgoing.end(call.body ?? undefined);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
