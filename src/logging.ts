import { Writable } from 'node:stream';
import type { FastifyServerOptions } from 'fastify';
import type { Config } from './config.js';
import { redactUrl } from './http/redact.js';

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** fields a pretty line shows in its own place rather than as key=value */
const PLACED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'reqId', 'method', 'route', 'url', 'status', 'ms']);

/**
 * One pino JSON line as a short line for people (LOG_FORMAT=pretty):
 * `12:04:05.123 INFO  req_01… GET /v1/user_profiles/:user_profile_id 200 0.42 ms key=apikey_01…`.
 * Lines that are not JSON pass through unchanged.
 */
export function prettyLine(json: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json);
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) : '';
  const level = (LEVELS[entry.level as number] ?? String(entry.level)).padEnd(5);
  const parts = [time, level];
  if (entry.reqId) parts.push(String(entry.reqId));
  if (entry.method) parts.push(String(entry.method));
  if (entry.route || entry.url) parts.push(String(entry.route ?? entry.url));
  if (entry.status !== undefined) parts.push(String(entry.status));
  if (entry.ms !== undefined) parts.push(`${entry.ms} ms`);
  if (entry.msg && entry.msg !== 'request') parts.push(String(entry.msg));
  for (const [name, value] of Object.entries(entry)) {
    if (PLACED.has(name) || value === null || value === undefined) continue;
    const shown = typeof value === 'object' ? JSON.stringify(value) : String(value);
    parts.push(`${name}=${shown}`);
  }
  return `${parts.filter((p) => p !== '').join(' ')}\n`;
}

/** A stream pino writes JSON lines to, which prints them pretty on `out`. */
export function prettyStream(out: NodeJS.WritableStream = process.stdout): Writable {
  let pending = '';
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      pending += chunk.toString();
      let end: number;
      while ((end = pending.indexOf('\n')) >= 0) {
        out.write(prettyLine(pending.slice(0, end)));
        pending = pending.slice(end + 1);
      }
      done();
    },
  });
}

/**
 * The server's logger: one line per request (written by the app's onResponse hook, see http/operations.ts)
 * instead of Fastify's two, keys and link tokens redacted, JSON or pretty.
 */
export function loggerOptions(config: Config): FastifyServerOptions['logger'] {
  return {
    level: config.logLevel,
    redact: ['req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers.cookie'],
    serializers: {
      req: (request) => ({ method: request.method, url: redactUrl(request.url), remoteAddress: request.ip }),
    },
    ...(config.logFormat === 'pretty' ? { stream: prettyStream() } : {}),
  };
}
