import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachEngine } from '../support/suite.ts';

/** The SQL seam's read shapes, on every engine (the list's one-column key scan uses `values`). */
describeEachEngine('store SQL reads', (server) => {
  it('rows gives each row as an array, values its first column only, both in query order', async () => {
    const { sql } = server().store;
    const query = "SELECT key, 'x' FROM settings WHERE key IN (?, ?) ORDER BY key";
    await sql.batch([
      { sql: "INSERT INTO settings (key, value) VALUES (?, 'a') ON CONFLICT (key) DO NOTHING", params: ['test_values_b'] },
      { sql: "INSERT INTO settings (key, value) VALUES (?, 'b') ON CONFLICT (key) DO NOTHING", params: ['test_values_a'] },
    ]);
    assert.deepEqual(await sql.rows(query, ['test_values_b', 'test_values_a']), [['test_values_a', 'x'], ['test_values_b', 'x']]);
    assert.deepEqual(await sql.values(query, ['test_values_b', 'test_values_a']), ['test_values_a', 'test_values_b']);
    assert.deepEqual(await sql.values(query, ['none', 'nothing']), []);
  });
});
