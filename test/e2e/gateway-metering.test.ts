/**
 * Issue 17: metering is exact. 1,000 mixed requests (JSON and streamed messages, token counts, refusals; three
 * profiles and none; two API keys) go through uprof to a fake upstream whose usage differs per request; the usage
 * reports then hold exactly what the clients were answered, per profile, per key and for the organization.
 */
import assert from 'node:assert/strict';
import { after, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { emptyCounts, type ReportCounts } from '../../src/gateway/usage-report.ts';
import { FakeUpstream } from '../support/fake-upstream.ts';
import { describeEachEngine } from '../support/suite.ts';
import { ask, eventually, gatewayOrg, MODEL, opOk, usageOf } from './gateway-support.ts';

const REQUESTS = 1000;
const WORKERS = 10;

const fake = await FakeUpstream.start();
after(() => fake.close());

type Counts = ReportCounts;
const zero = emptyCounts;

describeEachEngine('gateway: metering', (server) => {
  it(`is exact after ${REQUESTS} mixed requests, per profile, per API key and for the organization`, async () => {
    const org = await gatewayOrg(server());
    const second = await server().newKey({ organization: org.name });
    const keys = [org.platform, second];
    const sdks = keys.map((key) => new Anthropic({ apiKey: key.api_key, baseURL: server().baseURL, maxRetries: 0 }));
    const profiles = [await org.newProfile('P0'), await org.newProfile('P1'), await org.newProfile('P2')];
    const banned = await org.newProfile('Banned');
    await opOk(org, 'POST', `/user_profiles/${banned}/enforcement_actions`, { type: 'ban', reason: 'fraud_or_abuse' });

    const expected = { byProfile: new Map<string, Counts>(), byKey: new Map<string, Counts>(), all: zero() };
    const tally = (profile: string, keyId: string, add: (c: Counts) => void) => {
      for (const counts of [
        expected.byProfile.get(profile) ?? expected.byProfile.set(profile, zero()).get(profile)!,
        expected.byKey.get(keyId) ?? expected.byKey.set(keyId, zero()).get(keyId)!,
        expected.all,
      ]) add(counts);
    };
    const tokens = (usage: Anthropic.Usage) => (c: Counts) => {
      c.requests++;
      c.messages++;
      c.input_tokens += usage.input_tokens;
      c.output_tokens += usage.output_tokens;
      c.cache_creation_input_tokens += usage.cache_creation_input_tokens ?? 0;
      c.cache_read_input_tokens += usage.cache_read_input_tokens ?? 0;
    };

    const one = async (n: number) => {
      const k = n % keys.length;
      const sdk = sdks[k];
      const keyId = keys[k].key_id;
      const choice = n % 10;
      const profile = choice === 9 ? '' : profiles[n % profiles.length];
      const attribution = profile === '' ? {} : { user_profile_id: profile };
      const text = `request ${n} ${'x'.repeat(n % 37)}`;
      if (choice <= 3) {
        const message = await sdk.messages.create({ model: MODEL, max_tokens: 20, messages: ask(text), ...attribution });
        tally(profile, keyId, tokens(message.usage));
      } else if (choice <= 6) {
        const message = await sdk.messages.stream({ model: MODEL, max_tokens: 20, messages: ask(text), ...attribution }).finalMessage();
        tally(profile, keyId, tokens(message.usage));
      } else if (choice === 7) {
        await sdk.messages.countTokens({ model: MODEL, messages: ask(text), ...attribution });
        tally(profile, keyId, (c) => { c.requests++; c.count_tokens++; });
      } else {
        // a refusal: an unknown profile (counted as nobody's), or the banned one (counted as its own)
        const refused = n % 20 === 8 ? banned : 'uprof_01NoSuchProfileAtAll0000';
        const reason = refused === banned ? 'user_profile_banned' : 'user_profile_not_found';
        const error: any = await sdk.messages.create({ model: MODEL, max_tokens: 5, messages: ask(text), user_profile_id: refused }).catch((e) => e);
        assert.equal(error?.errorCode, reason);
        tally(refused === banned ? banned : '', keyId, (c) => (c.refusals[reason] = (c.refusals[reason] ?? 0) + 1));
      }
    };
    let next = 0;
    await Promise.all(Array.from({ length: WORKERS }, async () => {
      while (next < REQUESTS) await one(next++);
    }));

    await eventually(async () => assert.deepEqual((await usageOf(org, null)).totals, expected.all), 30_000);
    const report = await usageOf(org, null);
    for (const row of report.api_keys) {
      const { api_key_id: keyId, ...counts } = row;
      assert.deepEqual(counts, expected.byKey.get(keyId), `key ${keyId}`);
    }
    assert.equal(report.api_keys.length, keys.length);
    for (const profile of [...profiles, banned]) {
      assert.deepEqual((await usageOf(org, profile)).totals, expected.byProfile.get(profile), `profile ${profile}`);
    }
    const summed = report.data.reduce((sum: number, bucket: any) => sum + bucket.input_tokens, 0);
    assert.equal(summed, expected.all.input_tokens, 'the buckets add up to the totals');
  });
}, { USAGE_FLUSH_MS: '100', UPSTREAM_URL: fake.url });
