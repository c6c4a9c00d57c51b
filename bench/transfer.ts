/**
 * `npm run bench:transfer`: `uprof export` and `uprof import` of one organization with 1,000,000 profiles, on
 * each engine in turn (SQLite, then PostgreSQL when reachable). A measurement, not a test.
 *
 *   1. generate: an export file written directly (header, default workspace, TRANSFER_PROFILES profile lines
 *      built with the app's own newProfile and the export format's profileLine; varied names, details,
 *      metadata; every 10th profile with a cyber program and a restriction);
 *   2. import it into an empty database (`uprof import FILE`, the real command, a child process);
 *   3. export it back (`uprof export --org … -o A`);
 *   4. import A into a second empty database, export that (B), and check A and B are the same bytes.
 *   Each command's wall time and peak RSS (VmHWM from /proc) are reported: memory must not grow with size.
 *
 *   TRANSFER_PROFILES=1000000
 *   TRANSFER_ENGINES=sqlite,postgres
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newProfile } from '../src/domain/profile.ts';
import { newId } from '../src/ids.ts';
import { headerLine, profileLine, workspaceLine } from '../src/transfer/records.ts';
import { DEFAULT_POSTGRES_URL, UPROF, ensureBuilt, freshPostgresSchema, runBench, shown, table } from './support.ts';

const COUNT = Number(process.env.TRANSFER_PROFILES || 1_000_000);
const ENGINES = (process.env.TRANSFER_ENGINES || 'sqlite,postgres').split(',').map((e) => e.trim()).filter(Boolean);
const POSTGRES_URL = process.env.BENCH_DATABASE_URL || DEFAULT_POSTGRES_URL;
const ORG = 'Transfer bench';
const MASTER_KEY = Buffer.alloc(32, 1).toString('base64');

async function generate(path: string): Promise<number> {
  const started = performance.now();
  const out = createWriteStream(path);
  const write = (line: string) => (out.write(`${line}\n`) ? undefined : new Promise<void>((resolve) => out.once('drain', () => resolve())));
  const now = Date.now() - COUNT - 10_000;
  const orgId = newId('org', now);
  await write(headerLine({ organization: { id: orgId, name: ORG, createdAt: now }, history: false, signingSecrets: 'sealed' }));
  await write(workspaceLine({ id: newId('wrkspc', now), name: 'Default', isDefault: true, createdAt: now }));
  for (let i = 0; i < COUNT; i++) {
    const at = now + i;
    const profile = newProfile({
      name: i % 10 === 3 ? undefined : `Person ${i} ${['Müller', 'Chen', 'García', "O'Brien"][i % 4]}`,
      details: { reference_id: `user_${i}`, country: i % 3 ? 'GB' : 'DE', account_status: i % 50 ? 'active' : 'suspended' },
      metadata: { plan: i % 2 ? 'pro' : 'team', cohort: `c${i % 12}` },
    }, newId('uprof', at), orgId, at);
    if (i % 10 === 0) {
      profile.cyber = {
        status: 'active', earlierModels: false, application: null,
        tiers: {
          a: { active: false, requires: { data_retention: false, human_review: false }, waived: { data_retention: false, human_review: false } },
          b: { active: true, requires: { data_retention: true, human_review: false }, waived: { data_retention: false, human_review: false } },
          c: { active: false, requires: { data_retention: false, human_review: false }, waived: { data_retention: false, human_review: false } },
        },
      };
      profile.actions = [{ id: newId('enac', at), type: 'restriction', reason: 'fraud_or_abuse', clearable: true, checkSubmitted: false, openedAt: at, expiresAt: null }];
    }
    const pending = write(profileLine({ profile, createdBy: { type: 'platform', id: 'apikey_01bench' }, createdName: profile.name }));
    if (pending) await pending;
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return (performance.now() - started) / 1000;
}

interface Timed { seconds: number; peakRssMB: number; stdout: string; stderr: string }

/** Runs `uprof ARGS` to completion, timing it and sampling its memory high-water mark. */
function uprof(args: string[], databaseUrl: string): Promise<Timed> {
  ensureBuilt();
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [UPROF, ...args], {
      env: { ...process.env, DATABASE_URL: databaseUrl, UPROF_MASTER_KEY: MASTER_KEY, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '', stderr = '', peakKiB = 0;
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr = (stderr + c).slice(-4000)));
    const sample = () => {
      try {
        const hwm = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (hwm) peakKiB = Math.max(peakKiB, Number(hwm[1]));
      } catch {
        // gone
      }
    };
    const sampler = setInterval(sample, 100);
    child.once('exit', (code) => {
      clearInterval(sampler);
      if (code !== 0) reject(new Error(`uprof ${args.join(' ')} exited ${code}:\n${stderr}`));
      else resolve({ seconds: (performance.now() - started) / 1000, peakRssMB: (peakKiB * 1024) / 1e6, stdout, stderr });
    });
  });
}

function sha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path).on('data', (c) => hash.update(c)).on('end', () => resolve(hash.digest('hex'))).on('error', reject);
  });
}

async function databaseFor(engine: string, dir: string, name: string): Promise<{ url: string; drop(): Promise<void> } | string> {
  if (engine === 'sqlite') return { url: `sqlite:${join(dir, `${name}.db`)}`, drop: async () => {} };
  const schema = await freshPostgresSchema(POSTGRES_URL, `uprof_transfer_${name}`);
  if ('unreachable' in schema) return `PostgreSQL unreachable at ${shown(POSTGRES_URL)} (${schema.unreachable})`;
  return schema;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'uprof-transfer-bench-'));
  const rows: string[][] = [];
  try {
    const source = join(dir, 'generated.ndjson');
    const generated = await generate(source);
    const size = statSync(source).size;
    console.log(`${COUNT.toLocaleString('en')} profiles generated in ${generated.toFixed(1)} s: ${(size / 1e6).toFixed(0)} MB of NDJSON; node ${process.version}`);
    for (const engine of ENGINES) {
      const first = await databaseFor(engine, dir, 'first');
      const second = await databaseFor(engine, dir, 'second');
      if (typeof first === 'string' || typeof second === 'string') {
        console.log(`${engine}: SKIPPED, ${typeof first === 'string' ? first : second}`);
        continue;
      }
      try {
        process.stderr.write(`${engine}: import…\n`);
        const importGenerated = await uprof(['import', source], first.url);
        const a = join(dir, `${engine}-a.ndjson`), b = join(dir, `${engine}-b.ndjson`);
        process.stderr.write(`${engine}: export…\n`);
        const exportA = await uprof(['export', '--org', ORG, '-o', a], first.url);
        process.stderr.write(`${engine}: import the export…\n`);
        const importA = await uprof(['import', a], second.url);
        process.stderr.write(`${engine}: export again…\n`);
        const exportB = await uprof(['export', '--org', ORG, '-o', b], second.url);
        const same = (await sha256(a)) === (await sha256(b));
        const rate = (t: Timed) => `${Math.round(COUNT / t.seconds).toLocaleString('en')}`;
        for (const [step, t] of [['import (generated file)', importGenerated], ['export', exportA], ['import (the export)', importA], ['export again', exportB]] as const) {
          rows.push([engine, step, t.seconds.toFixed(1), rate(t), t.peakRssMB.toFixed(0)]);
        }
        rows.push([engine, same ? 'export → import → export: IDENTICAL bytes' : 'export → import → export: DIFFERENT', '', '', '']);
        process.stderr.write(`${table(['engine', 'step', 'seconds', 'profiles/s', 'peak RSS MB'], rows.filter((r) => r[0] === engine), [0, 1])}\n`);
      } finally {
        await first.drop();
        await second.drop();
      }
    }
    console.log();
    console.log(table(['engine', 'step', 'seconds', 'profiles/s', 'peak RSS MB'], rows, [0, 1]));
    console.log('\nEach step is one `uprof` child process, start-up included; peak RSS is its VmHWM.');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench('bench:transfer', main);
