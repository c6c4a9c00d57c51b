/** Migration 0002_programs_enforcement_history: its statements, run in this order (see ../migrations.ts; never change them once released). */
export const statements: readonly string[] = [
  // programs and open enforcement actions live in the profile row: one read renders a profile, and the
  // row lock that serialises updates covers them too
  `ALTER TABLE user_profiles ADD COLUMN cyber TEXT`,
  `ALTER TABLE user_profiles ADD COLUMN efs TEXT`,
  `ALTER TABLE user_profiles ADD COLUMN enforcement TEXT NOT NULL DEFAULT '[]'`,
  // 1 while an application or an identity check awaits the provider: the review queue
  `ALTER TABLE user_profiles ADD COLUMN awaiting_review INTEGER NOT NULL DEFAULT 0`,
  `CREATE INDEX user_profiles_review_queue ON user_profiles (organization_id, updated_at, id)
     WHERE deleted_at IS NULL AND awaiting_review = 1`,
  `CREATE TABLE profile_history (
     organization_id TEXT{{key}} NOT NULL,
     profile_id TEXT{{key}} NOT NULL,
     id TEXT{{key}} NOT NULL,
     at BIGINT NOT NULL,
     actor_type TEXT NOT NULL,
     actor_id TEXT,
     event TEXT NOT NULL,
     detail TEXT NOT NULL,
     PRIMARY KEY (organization_id, profile_id, id)
   )`,
];
