import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PassThrough } from 'node:stream';
import { chooseDatabase } from '../../src/cli/context.ts';
import { loadConfig } from '../../src/config.ts';
import { isLoopback } from '../../src/http/operations.ts';
import { prettyLine, prettyStream } from '../../src/logging.ts';
import { editDistance, nearMisses } from '../../src/organizations.ts';

describe('LOG_FORMAT=pretty', () => {
  it('a request line: time, level, request id, method, route, status, duration, then the rest as key=value', () => {
    const line = prettyLine(JSON.stringify({
      level: 30, time: Date.UTC(2026, 0, 2, 3, 4, 5, 678), pid: 1, hostname: 'h', reqId: 'req_01x', key: 'apikey_01y',
      method: 'GET', route: '/v1/user_profiles/:user_profile_id', status: 200, ms: 0.42, msg: 'request',
    }));
    assert.equal(line, '03:04:05.678 INFO  req_01x GET /v1/user_profiles/:user_profile_id 200 0.42 ms key=apikey_01y\n');
  });

  it('other lines keep their message and fields; lines that are not JSON pass through', () => {
    assert.equal(prettyLine('{"level":50,"time":0,"msg":"boom","err":{"message":"x"}}'), '00:00:00.000 ERROR boom err={"message":"x"}\n');
    assert.equal(prettyLine('plain text'), 'plain text\n');
  });

  it('the stream reassembles lines split across writes', async () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk) => (text += chunk));
    const stream = prettyStream(out);
    stream.write('{"level":40,"time":0,"ms');
    stream.write('g":"careful"}\n{"level":30,"time":0,"msg":"two"}\n');
    await new Promise((resolve) => stream.end(resolve));
    assert.equal(text, '00:00:00.000 WARN  careful\n00:00:00.000 INFO  two\n');
  });
});

describe('organization near misses', () => {
  it('edit distance', () => {
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('', 'abc'), 3);
    assert.equal(editDistance('same', 'same'), 0);
  });

  it('names the same but for case or spacing, and typos within the allowance; not far names', () => {
    const names = ['My platform', 'Globex', 'Acme Corporation'];
    assert.deepEqual(nearMisses('my platform', names), ['My platform']);
    assert.deepEqual(nearMisses('My  Platform ', names), ['My platform']);
    assert.deepEqual(nearMisses('My platfrom', names), ['My platform']);
    assert.deepEqual(nearMisses('Globx', names), ['Globex']); // 1 edit in a 5-letter name: allowed
    assert.deepEqual(nearMisses('Glbx', names), []); // 2 edits in a 4-letter name: not
    assert.deepEqual(nearMisses('Initech', names), []);
    assert.deepEqual(nearMisses('My platform', names), [], 'the exact name is no near miss');
  });
});

describe('the database a command uses', () => {
  const config = (env: Record<string, string> = {}) => loadConfig(env);

  it('--database, then DATABASE_URL, then the default; relative SQLite paths made absolute', () => {
    assert.deepEqual(chooseDatabase('sqlite:x.db', config({ DATABASE_URL: 'sqlite:/y.db' }), '/work/p'),
      { url: 'sqlite:/work/p/x.db', source: '--database', sqlitePath: '/work/p/x.db', dataDir: null });
    assert.deepEqual(chooseDatabase(undefined, config({ DATABASE_URL: 'sqlite:./d/y.db' }), '/work/p'),
      { url: 'sqlite:/work/p/d/y.db', source: 'DATABASE_URL', sqlitePath: '/work/p/d/y.db', dataDir: null });
    assert.equal(chooseDatabase(undefined, config({ DATABASE_URL: 'postgres://u@h/db' }), '/work/p').sqlitePath, null);
    const fallback = chooseDatabase(undefined, config(), '/nonexistent-uprof-dir/sub');
    assert.equal(fallback.url, 'sqlite:/nonexistent-uprof-dir/sub/data/uprof.db');
    assert.equal(fallback.source, 'default');
  });

  it('loopback hosts (metrics open without a token there)', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost']) assert.ok(isLoopback(host), host);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com']) assert.ok(!isLoopback(host), host);
  });
});
