/**
 * Issue 17: metering after a SIGKILL mid-load. A uprof process (the stub model, flushing every 50 ms) is killed
 * under a load of metered requests; then, read from the database:
 * - the counters equal exactly the sum of the acknowledged flushes (the ledger rows, which commit with them);
 * - they are at most what the clients were answered, plus the requests in flight at the kill (never double-counted);
 * - every counted message carries exactly one message's tokens (no partial or repeated application);
 * and a new process on the same database replays nothing: its own load is then counted exactly.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type Anthropic from '@anthropic-ai/sdk';
import { mintKey, type MintedKey } from '../../src/keys.ts';
import { openStore, type Store } from '../../src/store/index.ts';
import { engines } from '../support/engines.ts';
import { sdkFor, startServerProcess, type ServerProcess } from '../support/processes.ts';
import { ask, MODEL } from './gateway-support.ts';

const WORKERS = 12;
const KILL_AFTER_MS = 1500;
/** every prompt has this length, so every message costs the same tokens */
const text = (n: number) => `request ${String(n).padStart(8, '0')}`;

/** What the clients saw answered, by kind; and how many requests were in flight when the kill landed. */
interface Answered {
  messages: number;
  countTokens: number;
  refusals: number;
  /** one message's tokens (input + output), the same for all */
  messageTokens: number | null;
}

/** One request of the mix; resolves to what was answered (or throws when no answer came). */
async function oneRequest(sdk: Anthropic, n: number, profile: string, answered: Answered): Promise<void> {
  const choice = n % 4;
  if (choice === 0 || choice === 1) {
    const message = choice === 0
      ? await sdk.messages.create({ model: MODEL, max_tokens: 8, messages: ask(text(n)), user_profile_id: profile })
      : await sdk.messages.stream({ model: MODEL, max_tokens: 8, messages: ask(text(n)), user_profile_id: profile }).finalMessage();
    const tokens = message.usage.input_tokens + message.usage.output_tokens;
    assert.ok(answered.messageTokens === null || answered.messageTokens === tokens, 'every message costs the same');
    answered.messageTokens = tokens;
    answered.messages++;
  } else if (choice === 2) {
    await sdk.messages.countTokens({ model: MODEL, messages: ask(text(n)), user_profile_id: profile });
    answered.countTokens++;
  } else {
    const error: any = await sdk.messages.create({ model: MODEL, max_tokens: 8, messages: ask(text(n)), user_profile_id: 'uprof_01NoSuchProfile00000000' }).catch((e) => e);
    if (error?.status !== 400) throw error;
    answered.refusals++;
  }
}

/** The counters in the database, by kind, and the ledger of applied flushes. */
async function stored(store: Store, organizationId: string) {
  const rows = await store.usage.byKey({ organizationId, profileId: null }, 0, Number.MAX_SAFE_INTEGER);
  const sum = (kind: string) => rows.filter((r) => r.kind === kind).reduce((s, r) => s + r.sums.requests, 0);
  const tokens = rows.reduce((s, r) => s + r.sums.tokens.input + r.sums.tokens.output + r.sums.tokens.cacheCreation + r.sums.tokens.cacheRead, 0);
  const requests = rows.reduce((s, r) => s + r.sums.requests, 0);
  return { messages: sum('message'), countTokens: sum('count_tokens'), refusals: sum('refused:user_profile_not_found'), requests, tokens, ledger: await store.usage.flushedBy('') };
}

for (const engine of await engines()) {
  describe(`gateway metering: SIGKILL mid-load [${engine.name}]`, () => {
    let database: { url: string; drop(): Promise<void> };
    let key: MintedKey;
    let server: ServerProcess | undefined;

    before(async () => {
      database = await engine.createDatabase();
      const store = await openStore({ databaseUrl: database.url });
      key = await mintKey(store, { organization: `gateway-crash-${engine.name}-${process.pid}`, createOrganization: true, role: 'platform' });
      await store.close();
    });
    after(async () => {
      await server?.kill();
      await database?.drop();
    });

    it('counts what was acknowledged as flushed, exactly, never more than was answered; a restart replays nothing', async () => {
      server = await startServerProcess(database.url, { USAGE_FLUSH_MS: '50' });
      let sdk = sdkFor(server, key.api_key);
      const profile = (await sdk.userProfiles.create({ name: 'Metered' })).id;

      // ---- phase 1: load, then SIGKILL under it
      const answered: Answered = { messages: 0, countTokens: 0, refusals: 0, messageTokens: null };
      let inFlight = 0;
      let inFlightAtKill = -1;
      let n = 0;
      let killed = false;
      const worker = async () => {
        while (!killed) {
          inFlight++;
          try {
            await oneRequest(sdk, n++, profile, answered);
          } catch (error) {
            if (!killed) throw error; // before the kill every request is answered
          } finally {
            inFlight--;
          }
        }
      };
      const load = Promise.all(Array.from({ length: WORKERS }, worker));
      await new Promise((resolve) => setTimeout(resolve, KILL_AFTER_MS));
      inFlightAtKill = inFlight;
      killed = true;
      await server.kill('SIGKILL');
      await load;
      assert.ok(answered.messages > 20, `enough load before the kill (${answered.messages} messages answered)`);

      let store = await openStore({ databaseUrl: database.url });
      const afterKill = await stored(store, key.organization_id);
      await store.close();
      assert.ok(afterKill.ledger.flushes > 5, `flushes were acknowledged before the kill (${afterKill.ledger.flushes})`);
      assert.equal(afterKill.requests, afterKill.ledger.requests, 'counters = the sum of the acknowledged flushes (requests)');
      assert.equal(afterKill.tokens, afterKill.ledger.tokens, 'counters = the sum of the acknowledged flushes (tokens)');
      assert.ok(afterKill.messages <= answered.messages + inFlightAtKill, `messages: ${afterKill.messages} counted ≤ ${answered.messages} answered + ${inFlightAtKill} in flight`);
      assert.ok(afterKill.countTokens <= answered.countTokens + inFlightAtKill, 'count_tokens: never more than answered');
      assert.ok(afterKill.refusals <= answered.refusals + inFlightAtKill, 'refusals: never more than answered');
      assert.equal(afterKill.tokens, afterKill.messages * answered.messageTokens!, 'each counted message, once, with its tokens');
      assert.ok(afterKill.messages >= 1, 'something was counted');

      // ---- phase 2: a new process on the same database replays nothing and counts its own load exactly
      server = await startServerProcess(database.url, { USAGE_FLUSH_MS: '50' });
      sdk = sdkFor(server, key.api_key);
      const second: Answered = { messages: 0, countTokens: 0, refusals: 0, messageTokens: null };
      for (let i = 0; i < 40; i++) await oneRequest(sdk, i, profile, second);
      const stop = await server.stop(15_000);
      assert.equal(stop.signal, null, 'a graceful stop (SIGTERM): the meter flushes what is left');
      store = await openStore({ databaseUrl: database.url });
      const final = await stored(store, key.organization_id);
      await store.close();
      assert.deepEqual(
        [final.messages, final.countTokens, final.refusals],
        [afterKill.messages + second.messages, afterKill.countTokens + second.countTokens, afterKill.refusals + second.refusals],
        'after the restart: what was there plus exactly the new load',
      );
      assert.equal(final.tokens, afterKill.tokens + second.messages * second.messageTokens!);
      assert.equal(final.requests, final.ledger.requests);
    });
  });
}
