/** Migration 0005_creation_record_in_profile_row: its statements, run in this order (see ../migrations.ts; never change them once released). */
export const statements: readonly string[] = [
  // a profile's creation record (who created it, with what name) is kept in its own row, not as a
  // profile_history row: a create then writes one table instead of two (ProfileRepository.history joins
  // them). Profiles created earlier keep their profile_history row, and these stay null.
  `ALTER TABLE user_profiles ADD COLUMN created_by_type TEXT`,
  `ALTER TABLE user_profiles ADD COLUMN created_by_id TEXT`,
  `ALTER TABLE user_profiles ADD COLUMN created_name TEXT`,
];
