/** Migration 0007_console_session_revocations: its statements, run in this order (see ../migrations.ts; never change them once released). */
export const statements: readonly string[] = [
  // sign-outs of review-console sessions, kept until the session would have expired (ConsoleSessionRepository)
  `CREATE TABLE console_session_revocations (
     organization_id TEXT{{key}} NOT NULL,
     session_id TEXT{{key}} NOT NULL,
     expires_at BIGINT NOT NULL,
     PRIMARY KEY (organization_id, session_id)
   )`,
  `CREATE INDEX console_session_revocations_expiry ON console_session_revocations (expires_at)`,
];
