/**
 * The webhook target policy (src/webhooks/targets.ts): a server that is not on loopback (HOST=0.0.0.0 in
 * its configuration) refuses endpoints aimed at loopback, private and other non-public addresses, in any
 * form, with a 400 naming `url`, and refuses to deliver to such an address after DNS resolution (an
 * endpoint stored before the policy applied), logging a failed attempt and sending nothing. A server on
 * loopback, or one with WEBHOOK_ALLOW_PRIVATE_TARGETS=true, takes them and delivers.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { call, type TestServer } from '../support/server.ts';
import { describeEachEngine } from '../support/suite.ts';
import { assertApiError, assertOk } from './profile-api.ts';
import { Receiver, waitUntil } from './webhook-receiver.ts';

const BETA = 'webhooks-2026-10-07';
const BASE = '/v1/organizations/webhooks';
const CREATED = 'user_profile.created';
const FAST = { WEBHOOK_RETRY_SCHEDULE: '0.2', WEBHOOK_TIMEOUT_MS: '2000', WEBHOOK_POLL_MS: '50' };

/** A fresh organization's SDK client, raw calls with its key, and its delivery log. */
async function tenant(server: TestServer) {
  const key = await server.newKey({ organization: `targets-${randomUUID()}` });
  const client = new Anthropic({ apiKey: key.api_key, baseURL: server.baseURL, maxRetries: 0 });
  const raw = (method: string, path: string, body?: unknown) => call(server, method, path, { key: key.api_key, headers: { 'anthropic-beta': BETA }, body });
  return {
    key,
    client,
    webhooks: client.beta.organization.webhooks,
    raw,
    log: async (endpointId: string) => assertOk(await raw('GET', `${BASE}/${endpointId}/deliveries`)).data as any[],
  };
}

const REFUSED = [
  'http://10.0.0.1/', 'https://10.0.0.1/', 'https://192.168.1.1/', 'https://172.16.0.1/', 'https://172.31.255.255/', 'https://[::1]/',
  'http://127.0.0.1:9/h', 'https://127.255.255.254/', 'https://localhost/', 'http://localhost:8080/h', 'https://hooks.localhost/',
  // decimal, hexadecimal, octal and shortened forms of 127.0.0.1 (WHATWG URL reads them all)
  'https://2130706433/', 'https://0x7f000001/', 'https://017700000001/', 'https://0177.0.0.1/', 'https://127.1/',
  // IPv4-mapped and -translated IPv6
  'https://[::ffff:127.0.0.1]/', 'https://[::ffff:7f00:1]/', 'https://[::ffff:10.0.0.1]/', 'https://[64:ff9b::a9fe:a9fe]/', 'https://[2002:c0a8:101::]/',
  'https://169.254.169.254/latest/meta-data', 'https://[fe80::1]/', 'https://[fd00::1]/', 'https://[::]/', 'https://0.0.0.0/', 'https://0/',
  'https://100.64.0.1/', 'https://224.0.0.1/', 'https://255.255.255.255/', 'https://[ff02::1]/',
];
/** just outside the refused ranges, and names (resolved only when delivering) */
const ACCEPTED = [
  'https://hooks.example.com/h', 'https://8.8.8.8/', 'https://172.32.0.1/', 'https://172.15.255.255/', 'https://100.128.0.1/',
  'https://192.169.0.1/', 'https://11.0.0.1/', 'https://[2606:4700::1111]/', 'https://[::ffff:8.8.8.8]/', 'https://localhost.example.com/',
];

describeEachEngine('webhook targets on a server that is not on loopback', (server) => {
  let receiver: Receiver;
  before(async () => {
    receiver = await Receiver.start();
  });
  after(async () => {
    await receiver.close();
  });

  it('create and update refuse loopback, private and other non-public targets in every form (400 naming url, nothing changed); public ones pass', async () => {
    const t = await tenant(server());
    const endpoint = await t.webhooks.create({ url: 'https://hooks.example.com/kept', enabled_events: [CREATED as any] });
    for (const url of REFUSED) {
      assertApiError(await t.raw('POST', BASE, { url, enabled_events: [CREATED] }), 400, 'invalid_request_error', /^url: /);
      assertApiError(await t.raw('POST', `${BASE}/${endpoint.id}`, { url }), 400, 'invalid_request_error', /^url: /);
    }
    const message = (await t.raw('POST', BASE, { url: 'https://2130706433/', enabled_events: [CREATED] })).json.error.message;
    assert.match(message, /127\.0\.0\.1 is a loopback address; this server delivers webhooks only to public addresses/);
    assert.equal((await t.webhooks.retrieve(endpoint.id)).url, 'https://hooks.example.com/kept', 'refused updates changed nothing');
    assert.equal((await t.webhooks.list()).data.length, 1, 'refused creates created nothing');
    for (const url of ACCEPTED) {
      assert.equal((await t.webhooks.update(endpoint.id, { url })).url, url);
    }
  });

  it('a delivery to a stored non-public target is refused after DNS resolution and logged as a failed attempt; the receiver gets nothing', async () => {
    const t = await tenant(server());
    // endpoints stored while private targets were allowed (or by an older version): aimed at the receiver by name and by address
    const { path: byName, url: nameUrl } = receiver.newPath();
    const { path: byAddress, url: addressUrl } = receiver.newPath();
    const targets = [nameUrl.replace('127.0.0.1', 'localhost'), addressUrl];
    const endpoints = [];
    for (const url of targets) {
      const endpoint = await t.webhooks.create({ url: 'https://hooks.example.com/to-be-moved', enabled_events: [CREATED as any] });
      await server().store.sql.run('UPDATE webhook_endpoints SET url = ? WHERE organization_id = ? AND id = ?', [url, t.key.organization_id, endpoint.id]);
      endpoints.push(endpoint);
    }
    await t.client.userProfiles.create({ name: 'Refused' });
    const logs = await Promise.all(endpoints.map(async (endpoint) => {
      let log: any[] = [];
      await waitUntil(async () => (log = await t.log(endpoint.id)).length === 2, `2 attempts logged for ${endpoint.id}`);
      return log;
    }));
    const [byNameLog, byAddressLog] = logs;
    for (const entry of byNameLog) {
      assert.equal(entry.status, null);
      assert.match(entry.error, /^refused: localhost resolves to (127\.0\.0\.1|::1), a loopback address; this server delivers webhooks only to public addresses$/);
    }
    for (const entry of byAddressLog) {
      assert.equal(entry.status, null);
      assert.equal(entry.error, 'refused: 127.0.0.1 is a loopback address; this server delivers webhooks only to public addresses');
    }
    assert.deepEqual(logs.map((log) => log.map((e: any) => e.delivery_state)), [['failed', 'failed'], ['failed', 'failed']], 'retried on schedule, then given up');
    assert.equal(receiver.to(byName).length + receiver.to(byAddress).length, 0, 'no request reached the receiver');
  });
}, { HOST: '0.0.0.0', ...FAST });

for (const [title, env] of [
  ['on loopback', {}],
  ['not on loopback, with WEBHOOK_ALLOW_PRIVATE_TARGETS=true', { HOST: '0.0.0.0', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' }],
] as const) {
  describeEachEngine(`webhook targets on a server ${title}`, (server) => {
    let receiver: Receiver;
    before(async () => {
      receiver = await Receiver.start();
    });
    after(async () => {
      await receiver.close();
    });

    it('takes loopback and private targets, and delivers to 127.0.0.1 and to localhost', async () => {
      const t = await tenant(server());
      for (const url of ['https://10.0.0.1/', 'https://192.168.1.1/', 'https://[::1]/', 'https://2130706433/', 'https://[::ffff:10.0.0.1]/']) {
        assert.equal((await t.webhooks.create({ url, enabled_events: ['user_profile.deleted' as any] })).url, url);
      }
      const paths = [];
      for (const host of ['127.0.0.1', 'localhost']) {
        const { path, url } = receiver.newPath();
        const endpoint = await t.webhooks.create({ url: url.replace('127.0.0.1', host), enabled_events: [CREATED as any] });
        receiver.useSecret(path, endpoint.signing_secret);
        paths.push(path);
      }
      const profile = await t.client.userProfiles.create({ name: 'Delivered' });
      for (const path of paths) {
        const [delivery] = await receiver.waitFor(path, 1);
        assert.equal(receiver.events(path)[0].data.id, profile.id, `${path} got the event`);
        assert.equal(delivery.answered, 200);
      }
    });
  }, { ...env, ...FAST });
}
