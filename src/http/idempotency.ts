import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, invalidRequest } from '../errors.js';
import type { Store } from '../store/index.js';
import type { KeptAnswer } from '../store/idempotency.js';

/**
 * Safe retries of POSTs (decisions §51): a POST sent with `Idempotency-Key` runs once per organization and key,
 * and its answer — status, the headers below, the body — is kept for 24 hours. A repeat of the same request gets
 * that answer again, byte for byte, with `idempotent-replayed: true`; the same key with another request is a 400;
 * a repeat while the first still runs is a 409 (the SDKs retry a 409, and their retry lands on the kept answer).
 * 4xx answers are kept like successes; a 5xx is not, so a retry runs again.
 */

export const IDEMPOTENCY_HEADER = 'idempotency-key';
export const IDEMPOTENCY_TTL_MS = 24 * 3600_000;
const MAX_KEY_LENGTH = 255;
/** visible ASCII: no spaces, no control characters, nothing beyond 0x7e */
const VISIBLE_ASCII = /^[\x21-\x7e]+$/;
/** the answer's headers a replay repeats (request-id is fresh; rate-limit headers are this request's own) */
const KEPT_HEADERS = ['content-type', 'anthropic-workspace-id'] as const;
/** the request headers that change what a request means, so they are part of "the same request" */
const MEANING_HEADERS = ['anthropic-beta', 'anthropic-version'] as const;
const EMPTY = Buffer.alloc(0);

/** The key a request claimed, until its answer is kept (or given up). */
interface Claimed {
  organizationId: string;
  key: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** set while this request holds an idempotency key */
    idempotency: Claimed | null;
  }
}

/** The key a request sends, checked: a 400 naming the header when it is malformed. */
export function idempotencyKey(request: FastifyRequest): string | null {
  const raw = request.headers[IDEMPOTENCY_HEADER];
  if (raw === undefined) return null;
  const key = Array.isArray(raw) ? raw.join(', ') : raw;
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !VISIBLE_ASCII.test(key)) {
    throw invalidRequest(
      `Idempotency-Key: must be 1 to ${MAX_KEY_LENGTH} visible ASCII characters (no spaces), sent once ` +
        `(got ${key.length} characters${key.length > 0 && key.length <= MAX_KEY_LENGTH ? ' with a character outside that range' : ''}).`,
    );
  }
  return key;
}

/**
 * What makes two requests "the same request": method, path with its query, the workspace the key acts for,
 * the headers that change the meaning (`anthropic-beta` picks the dialect), and the body's bytes as sent — so
 * an empty body and `{}` are different requests, although a route reads both alike (decisions §35, §51).
 */
export function fingerprint(request: FastifyRequest, workspaceId: string): string {
  const hash = createHash('sha256');
  hash.update(`${request.method} ${request.url}\n${workspaceId}\n`);
  for (const name of MEANING_HEADERS) {
    const value = request.headers[name];
    hash.update(`${Array.isArray(value) ? value.join(',') : (value ?? '')}\n`);
  }
  hash.update(request.bodyBytes ?? EMPTY);
  return hash.digest('base64url');
}

export class Idempotency {
  constructor(
    private readonly store: Store,
    private readonly options: { leaseMs: number },
    private readonly now: () => number,
  ) {}

  /**
   * Called by a route once its request is admitted (key, workspace, version), before it runs. Without an
   * Idempotency-Key, or for a method other than POST, nothing happens (false). Otherwise the key is claimed
   * for the organization: false when this request now runs it; true when a kept answer was sent instead;
   * a 400 (another request used the key) or a 409 (the request is running) is thrown.
   */
  async begin(request: FastifyRequest, reply: FastifyReply, principal: { organizationId: string; workspaceId: string }): Promise<boolean> {
    if (request.method !== 'POST') return false;
    const key = idempotencyKey(request);
    if (key === null) return false;
    const claim = await this.store.idempotency.claim({
      organizationId: principal.organizationId,
      key,
      fingerprint: fingerprint(request, principal.workspaceId),
      owner: request.id,
      now: this.now(),
      leaseMs: this.options.leaseMs,
      ttlMs: IDEMPOTENCY_TTL_MS,
    });
    switch (claim.kind) {
      case 'claimed':
        request.idempotency = { organizationId: principal.organizationId, key };
        return false;
      case 'answered':
        replay(reply, claim.answer);
        return true;
      case 'mismatch':
        throw invalidRequest(
          'Idempotency-Key: this key was already used for a different request (another method, path, body, ' +
            'workspace, anthropic-beta or anthropic-version) in the last 24 hours; use a new key for a new request.',
        );
      case 'in_progress':
        throw new ApiError(409, 'conflict_error',
          'Idempotency-Key: a request with this key is still being processed; retry shortly to get its answer.');
    }
  }

  /** The answer of a request that holds a key: kept (below 500), or the key given up (5xx: a retry runs again). */
  async finish(request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<void> {
    const claimed = request.idempotency!;
    request.idempotency = null;
    const { organizationId, key } = claimed;
    try {
      if (reply.statusCode >= 500) {
        await this.store.idempotency.release(organizationId, key, request.id);
        return;
      }
      const headers: Record<string, string> = {};
      for (const name of KEPT_HEADERS) {
        const value = reply.getHeader(name);
        if (value !== undefined) headers[name] = String(value);
      }
      const body = typeof payload === 'string' ? payload : Buffer.isBuffer(payload) ? payload.toString('utf8') : '';
      const kept = await this.store.idempotency.complete(organizationId, key, request.id, { status: reply.statusCode, headers, body });
      if (!kept) request.log.warn({ idempotencyKey: key }, 'idempotency key was taken over by a retry after its lease lapsed: this answer is not the one kept');
    } catch (error) {
      // the work is done and its answer goes out; a retry finds the key in progress until its lease lapses
      request.log.error({ err: error, idempotencyKey: key }, 'could not keep the answer of an idempotency key');
    }
  }
}

/** A kept answer, again: its status, headers and bytes, with a fresh request-id and `idempotent-replayed: true`. */
function replay(reply: FastifyReply, answer: KeptAnswer): void {
  reply.code(answer.status);
  for (const [name, value] of Object.entries(answer.headers)) reply.header(name, value);
  reply.header('idempotent-replayed', 'true');
  reply.header('original-request-id', answer.requestId);
  reply.send(Buffer.from(answer.body, 'utf8'));
}

/** How often each process deletes expired keys. */
const SWEEP_EVERY_MS = 60_000;

/**
 * Keeps (or gives up) the key of every request that claimed one, once its answer is made and before it is
 * sent: a client that got the answer and retries anyway gets it again. Expired keys are deleted off the
 * request path, in small batches, once a minute (reads treat a key past its expiry as absent meanwhile).
 */
export function registerIdempotency(app: FastifyInstance, idempotency: Idempotency, sweep: () => Promise<unknown>): void {
  app.decorateRequest('idempotency', null);
  app.addHook('onSend', (request, reply, payload, done) => {
    if (request.idempotency === null) return done(null, payload);
    void idempotency.finish(request, reply, payload).then(() => done(null, payload));
  });
  const timer = setInterval(() => {
    sweep().catch((error) => app.log.warn({ err: error }, 'could not delete expired idempotency keys'));
  }, SWEEP_EVERY_MS);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
}
