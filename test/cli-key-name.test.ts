import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { uprofCli } from './support/processes.ts';

/** `uprof keys create --name`: the name history and the console show for a key, on the operator API's rule. */
describe('uprof keys create --name', () => {
  let dir: string;
  let databaseUrl: string;
  const uprof = (...args: string[]) => uprofCli(args, databaseUrl, { UPROF_MASTER_KEY_FILE: join(dir, 'master.key') });

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'uprof-cli-names-'));
    databaseUrl = `sqlite:${join(dir, 'uprof.db')}`;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('names the key (100 characters at most, trimmed); keys list shows the name', async () => {
    const longest = 'Ö'.repeat(100);
    for (const [given, stored] of [["  Alice's review key  ", "Alice's review key"], [longest, longest]]) {
      const minted = await uprof('keys', 'create', '--org', 'Names', '--create-org', '--operator', '--name', given, '--json');
      assert.equal(minted.code, 0, minted.stderr);
      const key = JSON.parse(minted.stdout) as { key_id: string };
      const rows = (await uprof('keys', 'list', '--json')).stdout.trim().split('\n').map((line) => JSON.parse(line) as { id: string; name: string | null });
      assert.equal(rows.find((row) => row.id === key.key_id)?.name, stored);
    }
    const table = await uprof('keys', 'list');
    assert.match(table.stdout, /^ID\s+ROLE\s+NAME\s+ORGANIZATION/m);
    assert.match(table.stdout, /Alice's review key/);
  });

  it('refuses a name over 100 characters or with control characters, naming the option, and mints nothing', async () => {
    const before = (await uprof('keys', 'list', '--json')).stdout;
    for (const [bad, why] of [['x'.repeat(101), /--name: must be at most 100 characters \(got 101\)/], ['tab\there', /--name: must not contain control characters/]] as const) {
      const result = await uprof('keys', 'create', '--org', 'Names', '--name', bad, '--json');
      assert.equal(result.code, 1, result.stdout);
      assert.match(result.stderr, why);
      assert.equal(result.stdout, '');
    }
    assert.equal((await uprof('keys', 'list', '--json')).stdout, before, 'nothing was minted');
  });

  it('a key without --name has none (history shows its last four characters)', async () => {
    const minted = await uprof('keys', 'create', '--org', 'Names', '--json');
    const key = JSON.parse(minted.stdout) as { key_id: string };
    const rows = (await uprof('keys', 'list', '--json')).stdout.trim().split('\n').map((line) => JSON.parse(line) as { id: string; name: string | null });
    assert.equal(rows.find((row) => row.id === key.key_id)?.name, null);
  });
});
