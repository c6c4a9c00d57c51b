import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { MIGRATIONS, MigrationChecksumError, migrationChecksum } from '../../src/store/migrations.ts';
import { openSql, openStore } from '../../src/store/index.ts';
import type { Sql } from '../../src/store/sql.ts';
import { engines } from '../support/engines.ts';
import { uprofCli } from '../support/processes.ts';

/**
 * Migrations: one file each under src/store/migrations/, applied in the list's order, each recorded with the
 * checksum of its statements as run; a database whose record differs from the code refuses to start.
 */

const recorded = async (sql: Sql) =>
  new Map((await sql.all<{ id: string; checksum: string | null }>('SELECT id, checksum FROM schema_migrations')).map((r) => [r.id, r.checksum]));

describe('migration files', () => {
  it('every file under src/store/migrations/ is in the list, once, and the list is in the order of the ids', () => {
    const files = readdirSync(new URL('../../src/store/migrations/', import.meta.url)).map((f) => f.replace(/\.ts$/, '')).sort();
    assert.deepEqual([...MIGRATIONS.map((m) => m.id)].sort(), files);
    assert.equal(new Set(MIGRATIONS.map((m) => m.id)).size, MIGRATIONS.length);
  });

  it('the checksum is of the statements as each engine runs them', () => {
    const keyed = MIGRATIONS.find((m) => m.statements.some((s) => s.includes('{{key}}')))!;
    assert.notEqual(migrationChecksum('sqlite', keyed.statements), migrationChecksum('postgres', keyed.statements));
    assert.match(migrationChecksum('sqlite', keyed.statements), /^[0-9a-f]{64}$/);
    const changed = [...keyed.statements.slice(0, -1), `${keyed.statements.at(-1)} `];
    assert.notEqual(migrationChecksum('sqlite', changed), migrationChecksum('sqlite', keyed.statements), 'one space more is another migration');
  });
});

for (const engine of await engines()) {
  describe(`migration checksums [${engine.name}]`, () => {
    const drops: (() => Promise<void>)[] = [];
    after(async () => {
      for (const drop of drops) await drop();
    });
    const freshDatabase = async () => {
      const database = await engine.createDatabase();
      drops.push(database.drop);
      const store = await openStore({ databaseUrl: database.url });
      return { url: database.url, store };
    };

    it('a fresh database records every migration with the checksum of its statements on this engine', async () => {
      const { store } = await freshDatabase();
      try {
        const rows = await recorded(store.sql);
        assert.deepEqual([...rows.keys()].sort(), MIGRATIONS.map((m) => m.id).sort());
        for (const m of MIGRATIONS) assert.equal(rows.get(m.id), migrationChecksum(engine.name, m.statements), m.id);
      } finally {
        await store.close();
      }
    });

    it('the same statements start again; a changed one refuses to start, naming the migration, and changes nothing', { timeout: 120_000 }, async () => {
      const { url, store } = await freshDatabase();
      const victim = MIGRATIONS[2].id;
      await store.sql.run('UPDATE schema_migrations SET checksum = ? WHERE id = ?', ['0'.repeat(64), victim]);
      await store.close();

      await assert.rejects(openStore({ databaseUrl: url }), (error: Error) => {
        assert.ok(error instanceof MigrationChecksumError, String(error));
        assert.ok(error.message.includes(victim), error.message);
        assert.match(error.message, /other statements/);
        return true;
      });
      const served = await uprofCli(['serve'], url, { HOST: '127.0.0.1', PORT: '0' });
      assert.notEqual(served.code, 0);
      assert.ok(served.stderr.includes(`migration ${victim} was applied to this database with other statements`), served.stderr);

      // the refusal wrote nothing; with the right checksum back it starts
      const sql = openSql({ databaseUrl: url });
      try {
        assert.equal((await recorded(sql)).get(victim), '0'.repeat(64));
        await sql.run('UPDATE schema_migrations SET checksum = ? WHERE id = ?', [migrationChecksum(engine.name, MIGRATIONS[2].statements), victim]);
      } finally {
        await sql.close();
      }
      const again = await openStore({ databaseUrl: url });
      await again.close();
    });

    it('a database migrated before checksums gets the column and the checksums of this code, and starts', async () => {
      const { url, store } = await freshDatabase();
      await store.sql.run('ALTER TABLE schema_migrations DROP COLUMN checksum');
      await store.close();
      const reopened = await openStore({ databaseUrl: url });
      try {
        const rows = await recorded(reopened.sql);
        for (const m of MIGRATIONS) assert.equal(rows.get(m.id), migrationChecksum(engine.name, m.statements), m.id);
      } finally {
        await reopened.close();
      }
    });

    it('a migration this code does not know (applied by a newer version) is left alone: an older process still starts', async () => {
      const { url, store } = await freshDatabase();
      await store.sql.run('INSERT INTO schema_migrations (id, applied_at, checksum) VALUES (?, ?, ?)', ['9999_from_the_future', Date.now(), 'f'.repeat(64)]);
      await store.close();
      const reopened = await openStore({ databaseUrl: url });
      try {
        assert.equal((await recorded(reopened.sql)).get('9999_from_the_future'), 'f'.repeat(64));
      } finally {
        await reopened.close();
      }
    });
  });
}
