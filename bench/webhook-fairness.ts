/**
 * `node --import tsx bench/webhook-fairness.ts`: how long one organization's first webhook delivery waits
 * while another organization's receiver sleeps on every request with a backlog of events — the scenario of
 * a slow tenant stalling everyone's webhooks. A `uprof serve` child with the default webhook settings (a
 * 15 s attempt timeout, a 500 ms poll) on each engine in turn; a receiver in this process.
 *
 *   BENCH_SLEEP_SECONDS=30   how long the slow receiver sleeps before it answers each request
 *   BENCH_EVENTS=64          events queued for the slow receiver before the other organization's one
 *   BENCH_ENGINES=sqlite,postgres
 *   BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test   (a schema is made in it, and dropped)
 *
 * A measurement, not a test: it prints the delay and exits 0.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_POSTGRES_URL, SERVE, UPROF, freshPostgresSchema, killChildren, runBench, sleep, startServer, stop, table } from './support.ts';

const SLEEP_SECONDS = Number(process.env.BENCH_SLEEP_SECONDS || 30);
const EVENTS = Number(process.env.BENCH_EVENTS || 64);
const ENGINES = (process.env.BENCH_ENGINES || 'sqlite,postgres').split(',').map((e) => e.trim()).filter(Boolean);
const POSTGRES_URL = process.env.BENCH_DATABASE_URL || DEFAULT_POSTGRES_URL;
const BETA = { 'anthropic-beta': 'webhooks-2026-10-07' };

/** A receiver: `/slow` answers 200 after SLEEP_SECONDS, `/other` at once; it notes when each request arrived. */
async function receiver() {
  const arrivals: { path: string; at: number }[] = [];
  const sleeping = new Set<ServerResponse>();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      arrivals.push({ path: req.url ?? '', at: Date.now() });
      if (req.url !== '/slow') return void res.end('ok');
      sleeping.add(res);
      const timer = setTimeout(() => res.end('ok'), SLEEP_SECONDS * 1000);
      res.on('close', () => {
        clearTimeout(timer);
        sleeping.delete(res);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    arrivals,
    sleeping: () => sleeping.size,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

async function measure(engine: string, databaseUrl: string): Promise<string[]> {
  const env = { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl };
  const mint = (org: string) =>
    JSON.parse(execFileSync(process.execPath, [UPROF, 'keys', 'create', '--org', org, '--json'], { env, encoding: 'utf8' }).trim().split('\n').pop()!)
      .api_key as string;
  const slowKey = mint('slow tenant');
  const otherKey = mint('other tenant');
  const hooks = await receiver();
  const uprof = await startServer(`uprof on ${engine}`, SERVE, env);
  try {
    const post = async (key: string, path: string, body: unknown, headers: Record<string, string> = {}) => {
      const response = await fetch(uprof.url + path, {
        method: 'POST',
        headers: { 'x-api-key': key, 'anthropic-version': '2023-06-01', 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      if (response.status !== 200) throw new Error(`${path}: ${response.status} ${await response.text()}`);
      return response.json();
    };
    for (const [key, path] of [[slowKey, '/slow'], [otherKey, '/other']]) {
      await post(key, '/v1/organizations/webhooks', { url: hooks.origin + path, enabled_events: ['user_profile.created'] }, BETA);
    }
    for (let i = 0; i < EVENTS; i++) await post(slowKey, '/v1/user_profiles', { name: `slow ${i}` });
    // the worker is busy with the slow receiver before the other organization's event exists
    while (hooks.sleeping() === 0) await sleep(20);
    await sleep(1000);
    const sent = Date.now();
    await post(otherKey, '/v1/user_profiles', { name: 'other' });
    const deadline = sent + (SLEEP_SECONDS + 120) * 1000;
    while (!hooks.arrivals.some((a) => a.path === '/other') && Date.now() < deadline) await sleep(10);
    const arrived = hooks.arrivals.find((a) => a.path === '/other');
    return [
      engine, String(EVENTS), `${SLEEP_SECONDS} s`, String(hooks.sleeping()),
      arrived ? String(arrived.at - sent) : `> ${deadline - sent}`,
    ];
  } finally {
    await stop(uprof.child);
    await hooks.close();
  }
}

async function main() {
  const rows: string[][] = [];
  const dir = mkdtempSync(join(tmpdir(), 'uprof-fairness-'));
  try {
    for (const engine of ENGINES) {
      if (engine === 'sqlite') {
        rows.push(await measure('sqlite', `sqlite:${join(dir, 'uprof.db')}`));
      } else if (engine === 'postgres') {
        const schema = await freshPostgresSchema(POSTGRES_URL, 'uprof_fairness');
        if ('unreachable' in schema) {
          console.log(`postgres SKIPPED: ${schema.unreachable}`);
          continue;
        }
        try {
          rows.push(await measure('postgres', schema.url));
        } finally {
          await schema.drop();
        }
      }
    }
  } finally {
    killChildren();
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(table(
    ['engine', 'events queued to the slow receiver', 'it sleeps', 'requests it holds', "other organization's first delivery (ms after its create)"],
    rows,
  ));
}

runBench('bench:webhook-fairness', main);
