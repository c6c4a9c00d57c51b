/** Migration 0012_idempotency_and_rate_limits: its statements, run in this order (see ../migrations.ts; never change them once released). */
export const statements: readonly string[] = [
  // a POST sent with an Idempotency-Key (src/http/idempotency.ts): claimed by `owner` (the request id that
  // runs it) until `lease_until`, then its answer (status, the headers that matter, the body) kept until
  // `expires_at`; `status` is null while it runs
  `CREATE TABLE idempotency_keys (
     organization_id TEXT{{key}} NOT NULL,
     idempotency_key TEXT{{key}} NOT NULL,
     fingerprint TEXT NOT NULL,
     owner TEXT NOT NULL,
     lease_until BIGINT NOT NULL,
     status INTEGER,
     headers TEXT,
     body TEXT,
     created_at BIGINT NOT NULL,
     expires_at BIGINT NOT NULL,
     PRIMARY KEY (organization_id, idempotency_key)
   )`,
  `CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at)`,
  // a key's own rate limit in requests per second (src/http/rate-limit.ts): null follows RATE_LIMIT_RPS, 0 is none
  `ALTER TABLE api_keys ADD COLUMN rate_limit_rps DOUBLE PRECISION`,
];
