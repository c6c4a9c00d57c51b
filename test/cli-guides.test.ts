import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { engines } from './support/engines.ts';
import { callProcess, startServerProcess, uprofCli, type ServerProcess } from './support/processes.ts';

/**
 * Issue 14, point 6: a CLI that guides. Explicit commands with suggestions, --version, --database on every
 * command and a line on stderr naming the database used, no silent new database, organizations that must
 * exist (near misses named), keys list for people, errors with a next step. Point 7: one log line a request.
 */

const BIN = fileURLToPath(new URL('../bin/uprof.js', import.meta.url));
const PACKAGE = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** `uprof ARGS` in `cwd` with exactly `env` added to a clean environment (no DATABASE_URL unless given). */
function uprofIn(cwd: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  const base = { ...process.env };
  for (const name of ['DATABASE_URL', 'NODE_TEST_CONTEXT', 'NODE_OPTIONS', 'UPROF_MASTER_KEY', 'UPROF_MASTER_KEY_FILE', 'PORT', 'HOST']) delete base[name];
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd, env: { ...base, LOG_LEVEL: 'warn', ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('a CLI that guides', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'uprof-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--version prints the package version; no command prints help, and serves nothing', async () => {
    for (const flag of ['--version', '-v']) {
      const result = await uprofIn(dir, [flag]);
      assert.equal(result.code, 0);
      assert.equal(result.stdout.trim(), PACKAGE.version);
    }
    const bare = await uprofIn(dir, []);
    assert.match(bare.stdout + bare.stderr, /Usage: uprof/);
    assert.doesNotMatch(bare.stdout, /is serving/);
    assert.ok(!existsSync(join(dir, 'data')), 'no database made');
  });

  it('a typo is an unknown command with a suggestion, not serve\'s usage', async () => {
    const result = await uprofIn(dir, ['key', 'create', '--org', 'X']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /unknown command 'key'/);
    assert.match(result.stderr, /Did you mean keys\?/);
    assert.doesNotMatch(result.stderr, /unknown option/);
    const option = await uprofIn(dir, ['keys', 'create', '--org', 'X', '--jsn']);
    assert.match(option.stderr, /unknown option '--jsn'/);
    assert.match(option.stderr, /Did you mean --json\?/);
  });

  it('keys create from a folder without a database refuses, names the file it looked for, and makes nothing', async () => {
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    const result = await uprofIn(elsewhere, ['keys', 'create', '--org', 'Acme', '--json']);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, '');
    assert.ok(result.stderr.includes(join(elsewhere, 'data', 'uprof.db')), result.stderr);
    assert.match(result.stderr, /Start the server first|--database/);
    assert.ok(!existsSync(join(elsewhere, 'data', 'uprof.db')));
    for (const command of [['keys', 'list'], ['orgs', 'list'], ['export', '--org', 'Acme'], ['backup', join(elsewhere, 'b.db')]]) {
      const refused = await uprofIn(elsewhere, command);
      assert.equal(refused.code, 1, command.join(' '));
      assert.match(refused.stderr, /no database at/);
    }
    assert.ok(!existsSync(join(elsewhere, 'data', 'uprof.db')));
  });

  it('creating a database says so first; later commands, from a sub-folder too, find it and name it on stderr only', async () => {
    const project = join(dir, 'project');
    mkdirSync(join(project, 'src', 'deep'), { recursive: true });
    const created = await uprofIn(project, ['orgs', 'create', 'My platform', '--json']);
    assert.equal(created.code, 0, created.stderr);
    assert.match(created.stderr, new RegExp(`creating a NEW database at ${join(project, 'data', 'uprof.db')}`));
    const org = JSON.parse(created.stdout);
    assert.match(org.id, /^org_01/);
    assert.equal(org.name, 'My platform');

    const fromBelow = await uprofIn(join(project, 'src', 'deep'), ['keys', 'create', '--org', 'My platform', '--json']);
    assert.equal(fromBelow.code, 0, fromBelow.stderr);
    assert.equal(JSON.parse(fromBelow.stdout).organization_id, org.id, 'the project\'s database, found from a sub-folder');
    assert.equal(fromBelow.stdout.split('\n').filter(Boolean).length, 1, 'stdout carries the JSON line alone');
    assert.match(fromBelow.stderr, new RegExp(`database sqlite:${join(project, 'data', 'uprof.db')} \\(default, found above the working directory\\)`));
    assert.ok(!existsSync(join(project, 'src', 'deep', 'data')));
  });

  it('keys create refuses an unknown organization, naming near misses; --create-org refuses a case twin', async () => {
    const project = join(dir, 'project');
    const wrongCase = await uprofIn(project, ['keys', 'create', '--org', 'my platform', '--json']);
    assert.equal(wrongCase.code, 1);
    assert.equal(wrongCase.stdout, '');
    assert.match(wrongCase.stderr, /no organization named "my platform"\. Did you mean "My platform"\?/);
    assert.match(wrongCase.stderr, /--create-org/);
    const typo = await uprofIn(project, ['keys', 'create', '--org', 'My platfrom']);
    assert.match(typo.stderr, /Did you mean "My platform"\?/);
    const far = await uprofIn(project, ['keys', 'create', '--org', 'Globex']);
    assert.equal(far.code, 1);
    assert.doesNotMatch(far.stderr, /Did you mean/);
    assert.match(far.stderr, /uprof orgs list/);
    const twin = await uprofIn(project, ['keys', 'create', '--org', 'my  Platform', '--create-org']);
    assert.equal(twin.code, 1);
    assert.match(twin.stderr, /differs only in case or spacing from the existing "My platform"/);
    const twinOrg = await uprofIn(project, ['orgs', 'create', 'MY PLATFORM']);
    assert.equal(twinOrg.code, 1);
    const orgs = await uprofIn(project, ['orgs', 'list', '--json']);
    assert.deepEqual(orgs.stdout.trim().split('\n').map((l) => JSON.parse(l).name), ['My platform'], 'nothing was created by the refusals');
    const globex = await uprofIn(project, ['keys', 'create', '--org', 'Globex', '--create-org', '--operator', '--json']);
    assert.equal(globex.code, 0, globex.stderr);
    assert.equal(JSON.parse(globex.stdout).role, 'operator');
  });

  it('orgs list and keys list speak to people: a header, names, no secrets', async () => {
    const project = join(dir, 'project');
    const orgs = await uprofIn(project, ['orgs', 'list']);
    assert.match(orgs.stdout.split('\n')[0], /^ID\s+NAME\s+CREATED\s+ACTIVE KEYS$/);
    assert.match(orgs.stdout, /My platform\s+\S+\s+1\n/);
    const keys = await uprofIn(project, ['keys', 'list']);
    const [head, ...rows] = keys.stdout.trim().split('\n');
    assert.match(head, /^ID\s+ROLE\s+NAME\s+ORGANIZATION\s+WORKSPACE\s+KEY\s+RATE LIMIT\s+CREATED\s+REVOKED$/);
    assert.equal(rows.length, 2);
    assert.ok(rows.some((r) => /platform\s+My platform\s+\(organization-wide\)\s+…\w{4}/.test(r)), keys.stdout);
    assert.ok(rows.some((r) => /operator\s+Globex/.test(r)), keys.stdout);
    assert.doesNotMatch(keys.stdout, /sk-uprof/);
    const json = await uprofIn(project, ['keys', 'list', '--json']);
    assert.deepEqual(json.stdout.trim().split('\n').map((l) => JSON.parse(l).organization_name).sort(), ['Globex', 'My platform']);
  });

  it('--database wins over DATABASE_URL, on every command', async () => {
    const a = join(dir, 'a.db');
    const b = join(dir, 'b.db');
    const made = await uprofIn(dir, ['--database', `sqlite:${b}`, 'orgs', 'create', 'Beta'], { DATABASE_URL: `sqlite:${a}` });
    assert.equal(made.code, 0, made.stderr);
    assert.ok(existsSync(b) && !existsSync(a));
    const after = await uprofIn(dir, ['orgs', 'list', '--database', `sqlite:${b}`, '--json']);
    assert.match(after.stderr, new RegExp(`database sqlite:${b} \\(--database\\)`));
    assert.equal(JSON.parse(after.stdout).name, 'Beta');
    const viaEnv = await uprofIn(dir, ['migrate'], { DATABASE_URL: 'sqlite:rel/x.db' });
    assert.match(viaEnv.stderr, new RegExp(`creating a NEW database at ${join(dir, 'rel', 'x.db')} \\(DATABASE_URL\\)`));
  });
});

describe('serve guides too', async () => {
  const [engine] = await engines();
  let database: Awaited<ReturnType<typeof engine.createDatabase>>;
  let server: ServerProcess;
  let blocker: Server;
  before(async () => {
    database = await engine.createDatabase();
    server = await startServerProcess(database.url, { LOG_LEVEL: 'info' });
  });
  after(async () => {
    await server?.stop();
    await new Promise((resolve) => blocker?.close(resolve) ?? resolve(null));
    await database?.drop();
  });

  it('the banner names the database and, when it is not the default, puts DATABASE_URL in the key command', () => {
    assert.match(server.log, /uprof \S+ is serving the User Profiles API at http:\/\/127\.0\.0\.1:\d+/);
    assert.match(server.log, /health: .*\/healthz/);
    assert.ok(server.log.includes(`mint an API key with: DATABASE_URL='${database.url}' npx uprof keys create --org "My platform" --create-org --json`), server.log);
    assert.match(server.log, /"msg":"uprof started"/);
  });

  it('one log line per request: request id, key id, route pattern, status, duration; no secret, no token', async () => {
    const minted = await uprofCli(['keys', 'create', '--org', 'Logged', '--create-org', '--json'], database.url);
    const key = JSON.parse(minted.stdout);
    const before = server.log.length;
    const response = await callProcess(server, 'GET', '/v1/user_profiles?limit=1', { key: key.api_key });
    assert.equal(response.status, 200);
    const token = 'abc.def.ghi-very-secret-token';
    await callProcess(server, 'GET', `/portal/enroll?enrollment_token=${token}`);
    await callProcess(server, 'GET', `/nowhere?enrollment_token=${token}`);
    const requestId = response.headers.get('request-id')!;
    const deadline = Date.now() + 10_000;
    while (!server.log.slice(before).includes('/nowhere') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const lines = server.log.slice(before).split('\n').filter((l) => l.includes(requestId));
    assert.equal(lines.length, 1, `one line for the request, not two: ${lines.join('\n')}`);
    const entry = JSON.parse(lines[0]);
    assert.deepEqual(
      { reqId: entry.reqId, key: entry.key, method: entry.method, route: entry.route, status: entry.status, msg: entry.msg },
      { reqId: requestId, key: key.key_id, method: 'GET', route: '/v1/user_profiles', status: 200, msg: 'request' },
    );
    assert.equal(typeof entry.ms, 'number');
    assert.ok(!server.log.includes(key.api_key), 'the key never reaches the log');
    assert.ok(!server.log.includes(token), 'link tokens are redacted');
    assert.match(server.log, /"route":"\/portal\/enroll"/);
    assert.match(server.log, /"url":"\/nowhere\?enrollment_token=\[redacted\]"/);
  });

  it('a port in use is an error with a next step', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const result = await uprofIn(tmpdir(), ['serve'], { DATABASE_URL: `sqlite:${join(mkdtempSync(join(tmpdir(), 'uprof-port-')), 'u.db')}`, PORT: String(port), HOST: '127.0.0.1' });
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`uprof: port ${port} on 127\\.0\\.0\\.1 is in use: set PORT to a free port`));
  });
});
