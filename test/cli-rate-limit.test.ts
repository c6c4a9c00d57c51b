import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { callProcess, startServerProcess, uprofCli, type ServerProcess } from './support/processes.ts';

/** Issue 15: `uprof keys create --rate-limit RPS|none`, shown by `uprof keys list`, honoured by the server. */
describe('uprof keys create --rate-limit', () => {
  let dir: string;
  let databaseUrl: string;
  let server: ServerProcess;
  const uprof = (...args: string[]) => uprofCli(args, databaseUrl, { UPROF_MASTER_KEY_FILE: join(dir, 'master.key') });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'uprof-cli-limits-'));
    databaseUrl = `sqlite:${join(dir, 'uprof.db')}`;
    server = await startServerProcess(databaseUrl, { UPROF_MASTER_KEY_FILE: join(dir, 'master.key'), RATE_LIMIT_RPS: '100', RATE_LIMIT_BURST: '7' });
  });
  after(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses what is not a rate above 0 or none, naming the option, and mints nothing', async () => {
    for (const bad of ['0', '-1', 'abc', '', '1e7']) {
      const result = await uprof('keys', 'create', '--org', 'Limits', '--create-org', '--rate-limit', bad, '--json');
      assert.equal(result.code, 1, `${JSON.stringify(bad)}: ${result.stdout}`);
      assert.match(result.stderr, /--rate-limit must be a number of requests per second above 0/);
      assert.equal(result.stdout, '');
    }
    const listed = await uprof('keys', 'list', '--json');
    assert.equal(listed.stdout.trim(), '', 'no key was minted');
  });

  it('stores a key its own limit (or none); keys list shows it; the server honours it', async () => {
    const mint = async (...extra: string[]) => {
      const result = await uprof('keys', 'create', '--org', 'Limits', '--create-org', ...extra, '--json');
      assert.equal(result.code, 0, result.stderr);
      return JSON.parse(result.stdout) as { api_key: string; key_id: string };
    };
    const slow = await mint('--rate-limit', '0.01');
    const unlimited = await mint('--rate-limit', 'none');
    const usual = await mint();
    const rows = (await uprof('keys', 'list', '--json')).stdout.trim().split('\n').map((line) => JSON.parse(line));
    const limitOf = (id: string) => rows.find((row) => row.id === id).rate_limit_rps;
    assert.deepEqual([limitOf(slow.key_id), limitOf(unlimited.key_id), limitOf(usual.key_id)], [0.01, 0, null]);
    const table = await uprof('keys', 'list');
    assert.match(table.stdout, /RATE LIMIT/);
    assert.match(table.stdout, new RegExp(`${slow.key_id}.*0\\.01/s`));
    assert.match(table.stdout, new RegExp(`${unlimited.key_id}.*none`));
    assert.match(table.stdout, new RegExp(`${usual.key_id}.*RATE_LIMIT_RPS`));

    const header = async (apiKey: string) =>
      (await callProcess(server, 'GET', '/v1/user_profiles', { key: apiKey })).headers.get('anthropic-ratelimit-requests-limit');
    assert.equal(await header(slow.api_key), '7', 'its own rate, the server\'s burst');
    assert.equal(await header(unlimited.api_key), null);
    assert.equal(await header(usual.api_key), '7');
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await callProcess(server, 'GET', '/v1/user_profiles', { key: slow.api_key })).status);
    assert.equal(statuses.filter((s) => s === 429).length, 2, `7 at once, then one per 100 s: ${statuses.join(' ')}`);
  });
});
