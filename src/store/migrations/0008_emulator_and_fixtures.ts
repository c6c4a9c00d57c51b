/** Migration 0008_emulator_and_fixtures: its statements, run in this order (see ../migrations.ts; never change them once released). */
export const statements: readonly string[] = [
  // emulator (UPROF_EMULATOR=1): each organization's test clock runs ahead of the real time by its offset
  `CREATE TABLE emulator_clocks (
     organization_id TEXT{{key}} PRIMARY KEY,
     offset_ms BIGINT NOT NULL
   )`,
  // emulator: the next `remaining` requests of a route (or of every route, '*') answer `status`
  `CREATE TABLE emulator_faults (
     organization_id TEXT{{key}} NOT NULL,
     route TEXT{{key}} NOT NULL,
     status INTEGER NOT NULL,
     remaining INTEGER NOT NULL,
     retry_after INTEGER,
     created_at BIGINT NOT NULL,
     PRIMARY KEY (organization_id, route)
   )`,
  // the fixture an organization was last loaded from: what an emulator reset restores
  `CREATE TABLE fixture_sources (
     organization_id TEXT{{key}} PRIMARY KEY,
     name TEXT NOT NULL,
     fixture TEXT NOT NULL,
     loaded_at BIGINT NOT NULL
   )`,
];
