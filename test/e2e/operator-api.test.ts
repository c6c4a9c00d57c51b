/**
 * The operator API (decisions §24): the provider decides programs and enforcement with an operator key of the
 * same organization as the platform's key; the platform sees the effects through the official SDK.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import type { Actor } from '../../src/domain/history.ts';
import { Standing } from '../../src/standing.ts';
import { call, currentSdk, type RawResponse } from '../support/server.ts';
import { describeEachEngine } from '../support/suite.ts';
import { assertApiError, assertOk, expectSdkError, TIMESTAMP_Z } from './profile-api.ts';

const ACTION_ID = /^enac_01[0-9A-Za-z]{22}$/;
const END_CUSTOMER: Actor = { type: 'end_customer', id: 'action_url' };
const INACTIVE_TIERS = { a: { status: 'inactive' }, b: { status: 'inactive' }, c: { status: 'inactive' } };
const INACTIVE_FEATURES = { data_retention_exemption: { status: 'inactive' }, cmek: { status: 'inactive' }, storage: { status: 'inactive' } };
const NO_PROGRAMS = { cyber: null, efs: null };

/** RFC 3339 in UTC at a whole second at or after `ms`, as the server renders it. */
const stamp = (ms: number) => new Date(Math.ceil(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** The operator API spoken with one key (any key: the security tests use platform and foreign keys too). */
function operatorApi(server: Parameters<typeof call>[0], key: string) {
  const send = (method: string, path: string, body?: unknown) => call(server, method, `/v1/operator${path}`, { key, body });
  const profile = (id: string) => `/user_profiles/${id}`;
  return {
    queue: () => send('GET', '/review_queue'),
    view: (id: string) => send('GET', profile(id)),
    history: (id: string) => send('GET', `${profile(id)}/history`),
    cyber: (id: string, body: unknown) => send('POST', `${profile(id)}/programs/cyber`, body),
    efs: (id: string, body: unknown) => send('POST', `${profile(id)}/programs/efs`, body),
    open: (id: string, body: unknown) => send('POST', `${profile(id)}/enforcement_actions`, body),
    resolve: (id: string, actionId: string) => send('POST', `${profile(id)}/enforcement_actions/${actionId}/resolve`),
    check: (id: string, actionId: string, body: unknown) => send('POST', `${profile(id)}/enforcement_actions/${actionId}/identity_check`, body),
  };
}
type OperatorApi = ReturnType<typeof operatorApi>;

/** Every operator route, called for one profile and action, with a valid body. */
function everyRoute(op: OperatorApi, id: string, actionId: string): [string, () => Promise<RawResponse>][] {
  return [
    ['GET review_queue', () => op.queue()],
    ['GET profile', () => op.view(id)],
    ['GET history', () => op.history(id)],
    ['POST programs/cyber', () => op.cyber(id, { status: 'active', tiers: { a: { status: 'active' } } })],
    ['POST programs/efs', () => op.efs(id, { status: 'active', features: { cmek: 'active' } })],
    ['POST enforcement_actions', () => op.open(id, { type: 'ban', reason: 'high_harm' })],
    ['POST resolve', () => op.resolve(id, actionId)],
    ['POST identity_check', () => op.check(id, actionId, { result: 'passed' })],
  ];
}

describeEachEngine('operator API', (server) => {
  const standing = () => new Standing(server().store, server().clock.now);

  /** A new organization with a platform key and an operator key, and helpers speaking for each. */
  async function tenant() {
    const organization = `operator-test-${randomUUID()}`;
    const platform = await server().newKey({ organization });
    const operator = await server().newKey({ organization, role: 'operator' });
    assert.equal(operator.organization_id, platform.organization_id);
    const client = currentSdk(server(), platform.api_key);
    const op = operatorApi(server(), operator.api_key);
    return {
      platform,
      operator,
      client,
      op,
      org: platform.organization_id,
      newProfile: (name = 'Acme Security GmbH') => client.userProfiles.create({ name }),
      retrieve: (id: string) => client.userProfiles.retrieve(id) as Promise<any>,
      retrieveBeta: (id: string) => client.beta.userProfiles.retrieve(id) as Promise<any>,
      async listed(id: string) {
        for await (const profile of client.userProfiles.list()) if (profile.id === id) return profile as any;
        assert.fail(`${id} not in the list`);
      },
      async open(id: string, body: Record<string, unknown>) {
        const res = assertOk(await op.open(id, body));
        assert.match(res.opened_action_id, ACTION_ID);
        return res.opened_action_id as string;
      },
      /** the operator view plus the history: everything a refused call must leave untouched */
      async state(id: string) {
        return { view: assertOk(await op.view(id)), history: assertOk(await op.history(id)) };
      },
    };
  }
  type Tenant = Awaited<ReturnType<typeof tenant>>;

  /** `promise` must answer `status`/`type`, and the profile must be exactly as before. */
  async function refusedWithoutChange(t: Tenant, id: string, status: number, type: string, attempt: () => Promise<RawResponse>, message?: string) {
    const before = await t.state(id);
    assertApiError(await attempt(), status, type, message);
    assert.deepEqual(await t.state(id), before, 'nothing changed');
  }

  // ------------------------------------------------------------------------------------------ the views

  it('a new profile: no programs, unrestricted; the operator sees the same GA view plus its own state', async () => {
    const t = await tenant();
    const created = await t.newProfile();
    const retrieved = await t.retrieve(created.id);
    assert.deepEqual(retrieved.programs, NO_PROGRAMS);
    assert.equal(retrieved.enforcement_status, 'unrestricted');
    assert.deepEqual(retrieved.enforcement_actions, []);
    const view = assertOk(await t.op.view(created.id));
    assert.deepEqual(view, {
      type: 'operator_user_profile',
      organization_id: t.org,
      profile: retrieved,
      cyber: null,
      efs: null,
      enforcement_actions: [],
      billing: { authorized: false },
    });
  });

  it('cyber decisions: full on retrieve (tiers, requirements, waivers per tier), lossy in lists, trust_grants under beta', async () => {
    const t = await tenant();
    const { id } = await t.newProfile();
    const decided = assertOk(
      await t.op.cyber(id, {
        status: 'active',
        tiers: {
          a: { status: 'active', requirements: { data_retention: true, human_review: true }, waivers: { human_review: true } },
          b: { status: 'active', requirements: { human_review: true } },
          c: { requirements: { data_retention: true } },
        },
      }),
    );
    const retrieved = await t.retrieve(id);
    assert.deepEqual(decided.profile, retrieved, 'the operator response carries the GA view');
    assert.deepEqual(retrieved.programs, {
      cyber: {
        status: 'active',
        tiers: { a: { status: 'active' }, b: { status: 'active' }, c: { status: 'inactive' } },
        // a's human_review is waived on a only: b still requires it; c's data_retention is ignored (inactive) but a has it
        requirements: { data_retention: true, human_review: true },
      },
      efs: null,
    });
    assert.deepEqual(decided.cyber, {
      status: 'active',
      earlier_models: false,
      tiers: {
        a: { status: 'active', requirements: { data_retention: true, human_review: true }, waivers: { data_retention: false, human_review: true } },
        b: { status: 'active', requirements: { data_retention: false, human_review: true }, waivers: { data_retention: false, human_review: false } },
        c: { status: 'inactive', requirements: { data_retention: true, human_review: false }, waivers: { data_retention: false, human_review: false } },
      },
      application: null,
      rejection_reason: null,
    });
    assert.deepEqual((await t.retrieveBeta(id)).trust_grants, { cyber: { status: 'active' } });
    const listed = await t.listed(id);
    assert.deepEqual(listed.programs, { cyber: { status: 'active', tiers: {}, requirements: null }, efs: null });

    // waive human_review on b too: no active tier requires it any more; the others keep their state
    assertOk(await t.op.cyber(id, { status: 'active', tiers: { b: { waivers: { human_review: true } } } }));
    assert.deepEqual((await t.retrieve(id)).programs.cyber.requirements, { data_retention: true, human_review: false });

    // drop tier a: only b is active, its one requirement waived; c's requirement still ignored
    assertOk(await t.op.cyber(id, { status: 'active', tiers: { a: { status: 'inactive' } } }));
    assert.deepEqual((await t.retrieve(id)).programs.cyber, {
      status: 'active',
      tiers: { a: { status: 'inactive' }, b: { status: 'active' }, c: { status: 'inactive' } },
      requirements: { data_retention: false, human_review: false },
    });

    // a rejection withdraws every tier
    assertOk(await t.op.cyber(id, { status: 'rejected' }));
    assert.deepEqual((await t.retrieve(id)).programs.cyber, { status: 'rejected', tiers: INACTIVE_TIERS, requirements: null });
    assert.deepEqual((await t.retrieveBeta(id)).trust_grants, { cyber: { status: 'rejected' } }, 'rejected stays (decisions §20)');
    assert.deepEqual((await t.listed(id)).programs.cyber, { status: 'rejected', tiers: {}, requirements: null });
  });

  it('cyber with earlier-model access only reads active with every tier inactive and no requirements', async () => {
    const t = await tenant();
    const { id } = await t.newProfile();
    assertOk(await t.op.cyber(id, { status: 'active', earlier_models: true }));
    assert.deepEqual((await t.retrieve(id)).programs.cyber, { status: 'active', tiers: INACTIVE_TIERS, requirements: null });
    assert.deepEqual((await t.retrieveBeta(id)).trust_grants, { cyber: { status: 'active' } });
    assert.equal(assertOk(await t.op.view(id)).cyber.earlier_models, true);
  });

  it('EFS decisions: features on retrieve; efs null in lists; never a trust grant', async () => {
    const t = await tenant();
    const { id } = await t.newProfile();
    const decided = assertOk(await t.op.efs(id, { status: 'active', features: { cmek: 'active', storage: 'inactive' } }));
    const retrieved = await t.retrieve(id);
    assert.deepEqual(decided.profile, retrieved);
    assert.deepEqual(retrieved.programs, {
      cyber: null,
      efs: { status: 'active', features: { ...INACTIVE_FEATURES, cmek: { status: 'active' } } },
    });
    assert.deepEqual((await t.listed(id)).programs, NO_PROGRAMS);
    assert.deepEqual((await t.retrieveBeta(id)).trust_grants, {});

    assertOk(await t.op.efs(id, { status: 'active', features: { data_retention_exemption: 'active' } }));
    assert.deepEqual((await t.retrieve(id)).programs.efs.features, {
      ...INACTIVE_FEATURES, data_retention_exemption: { status: 'active' }, cmek: { status: 'active' },
    });

    assertOk(await t.op.efs(id, { status: 'rejected' }));
    assert.deepEqual((await t.retrieve(id)).programs.efs, { status: 'rejected', features: INACTIVE_FEATURES });
  });

  // ------------------------------------------------------------------------------------------ decisions §15

  it('updated_at moves on program and enforcement changes, and not on a decision that changes nothing', async () => {
    const t = await tenant();
    const { id } = await t.newProfile();
    let last = (await t.retrieve(id)).updated_at as string;
    const step = async (label: string, change: () => Promise<RawResponse>, moves = true) => {
      server().clock.advance(2_000);
      assertOk(await change());
      const now = (await t.retrieve(id)).updated_at as string;
      if (moves) assert.ok(Date.parse(now) >= Date.parse(last) + 2_000, `${label}: updated_at ${last} → ${now}`);
      else assert.equal(now, last, `${label}: updated_at unchanged`);
      last = now;
    };
    const tierA = { status: 'active', tiers: { a: { status: 'active' } } };
    await step('cyber granted', () => t.op.cyber(id, tierA));
    await step('the same cyber decision again', () => t.op.cyber(id, tierA), false);
    await step('a requirement added', () => t.op.cyber(id, { status: 'active', tiers: { a: { requirements: { human_review: true } } } }));
    await step('efs decided', () => t.op.efs(id, { status: 'pending' }));
    await step('the same efs decision again', () => t.op.efs(id, { status: 'pending' }), false);
    let actionId = '';
    await step('an action opened', async () => {
      const res = await t.op.open(id, { type: 'restriction', reason: 'fraud_or_abuse', clearable: true });
      actionId = res.json?.opened_action_id;
      return res;
    });
    await step('a failed identity check', async () => {
      await standing().submitIdentityCheck(t.org, id, END_CUSTOMER, server().sealedEvidence());
      return t.op.check(id, actionId, { result: 'failed' });
    });
    await step('the action resolved', () => t.op.resolve(id, actionId));
  });

  // ------------------------------------------------------------------------------------------ enforcement

  it('a clearable restriction: verify offered, pending while the check is reviewed, failed re-offers verify, passed resolves', async () => {
    const t = await tenant();
    const { id } = await t.newProfile();
    const openedAt = server().clock.now();
    const actionId = await t.open(id, { type: 'restriction', reason: 'fraud_or_abuse', clearable: true });

    const restricted = await t.retrieve(id);
    assert.equal(restricted.enforcement_status, 'restricted');
    assert.equal(restricted.enforcement_actions.length, 1);
    const [wire] = restricted.enforcement_actions;
    assert.deepEqual({ ...wire, opened_at: undefined }, {
      id: actionId, type: 'restriction', reason: 'fraud_or_abuse', action: 'verify', opened_at: undefined, expires_at: null,
    });
    assert.match(wire.opened_at, TIMESTAMP_Z);
    assert.ok(Math.abs(Date.parse(wire.opened_at) - openedAt) < 5_000);
    const beta = await t.retrieveBeta(id);
    assert.ok(!('enforcement_status' in beta) && !('enforcement_actions' in beta), 'the beta shape has no enforcement');

    await standing().submitIdentityCheck(t.org, id, END_CUSTOMER, server().sealedEvidence());
    const pending = await t.retrieve(id);
    assert.equal(pending.enforcement_status, 'pending');
    assert.equal(pending.enforcement_actions[0].action, null, 'nothing to do while the check is reviewed');
    assert.equal(assertOk(await t.op.view(id)).enforcement_actions[0].identity_check, 'submitted');

    const failed = assertOk(await t.op.check(id, actionId, { result: 'failed' }));
    assert.equal(failed.profile.enforcement_status, 'restricted');
    assert.equal(failed.profile.enforcement_actions[0].action, 'verify', 'decisions §25: verify offered again');
    assert.deepEqual(await t.retrieve(id), failed.profile);

    await standing().submitIdentityCheck(t.org, id, END_CUSTOMER, server().sealedEvidence());
    const passed = assertOk(await t.op.check(id, actionId, { result: 'passed' }));
    assert.equal(passed.profile.enforcement_status, 'unrestricted');
    assert.deepEqual(passed.profile.enforcement_actions, []);
    const after = await t.retrieve(id);
    assert.equal(after.enforcement_status, 'unrestricted');
    assert.deepEqual(after.enforcement_actions, []);
  });

  it('a ban dominates, actions are listed oldest first, resolving falls back to the remaining actions', async () => {
    const t = await tenant();
    const { id } = await t.newProfile();
    const region = await t.open(id, { type: 'restriction', reason: 'unsupported_region' });
    server().clock.advance(1_000);
    const checked = await t.open(id, { type: 'restriction', reason: 'fraud_or_abuse', clearable: true });
    server().clock.advance(1_000);
    const ban = await t.open(id, { type: 'ban', reason: 'usage_policy_violation', clearable: false, expires_at: null });
    await standing().submitIdentityCheck(t.org, id, END_CUSTOMER, server().sealedEvidence());

    const banned = await t.retrieve(id);
    assert.equal(banned.enforcement_status, 'banned', 'a ban dominates a pending check');
    assert.deepEqual(banned.enforcement_actions.map((a: any) => a.id), [region, checked, ban]);
    assert.deepEqual(
      banned.enforcement_actions.map((a: any) => [a.type, a.reason, a.action, a.expires_at]),
      [
        ['restriction', 'unsupported_region', null, null],
        ['restriction', 'fraud_or_abuse', null, null],
        ['ban', 'usage_policy_violation', null, null],
      ],
    );

    assert.equal(assertOk(await t.op.resolve(id, ban)).profile.enforcement_status, 'pending', 'clearable-submitted + non-clearable → pending');
    assert.equal((await t.retrieve(id)).enforcement_status, 'pending');
    assert.equal(assertOk(await t.op.resolve(id, checked)).profile.enforcement_status, 'restricted');
    assert.equal(assertOk(await t.op.resolve(id, region)).profile.enforcement_status, 'unrestricted');
    assert.deepEqual((await t.retrieve(id)).enforcement_actions, []);

    // resolving again: no such open action
    await refusedWithoutChange(t, id, 404, 'not_found_error', () => t.op.resolve(id, region));
  });

  it('an open account_compromise action keeps the profile restricted while a check is reviewed', async () => {
    const t = await tenant();
    const { id } = await t.newProfile();
    await t.open(id, { type: 'restriction', reason: 'fraud_or_abuse', clearable: true });
    const compromise = await t.open(id, { type: 'restriction', reason: 'account_compromise' });
    await standing().submitIdentityCheck(t.org, id, END_CUSTOMER, server().sealedEvidence());
    const profile = await t.retrieve(id);
    assert.equal(profile.enforcement_status, 'restricted');
    assert.deepEqual(profile.enforcement_actions.map((a: any) => a.action), [null, null]);
    assert.equal(profile.enforcement_actions[1].expires_at, null);
    assertOk(await t.op.resolve(id, compromise));
    assert.equal((await t.retrieve(id)).enforcement_status, 'pending');
  });

  it('a restriction past its expires_at vanishes at read time and the profile reads unrestricted', async () => {
    const t = await tenant();
    const { id } = await t.newProfile();
    const expiresAt = stamp(server().clock.now() + 60_000);
    const actionId = await t.open(id, { type: 'restriction', reason: 'high_harm', expires_at: expiresAt });
    const open = await t.retrieve(id);
    assert.equal(open.enforcement_status, 'restricted');
    assert.equal(open.enforcement_actions[0].expires_at, expiresAt);

    server().clock.advance(Date.parse(expiresAt) - server().clock.now() - 2_000);
    assert.equal((await t.retrieve(id)).enforcement_status, 'restricted', 'still open 2 s before expires_at');

    server().clock.advance(2_001);
    const lapsed = await t.retrieve(id);
    assert.equal(lapsed.enforcement_status, 'unrestricted');
    assert.deepEqual(lapsed.enforcement_actions, []);
    const listed = await t.listed(id);
    assert.equal(listed.enforcement_status, 'unrestricted');
    assert.deepEqual(listed.enforcement_actions, []);
    const view = assertOk(await t.op.view(id));
    // the operator may still see it, lapsed, until the server's sweeper resolves it: never as open
    assert.ok(view.enforcement_actions.every((a: any) => a.open === false), JSON.stringify(view.enforcement_actions));
    // lapsed is not open: nothing to resolve (the sweeper may write meanwhile, so compare the platform's view only)
    assertApiError(await t.op.resolve(id, actionId), 404, 'not_found_error');
    const after = await t.retrieve(id);
    assert.equal(after.enforcement_status, 'unrestricted');
    assert.deepEqual(after.enforcement_actions, []);
  });

  it('the GA list filter enforcement_status finds exactly the profiles in those statuses', async () => {
    const t = await tenant();
    const lapsed = (await t.newProfile('lapsed')).id;
    await t.open(lapsed, { type: 'restriction', reason: 'fraud_or_abuse', expires_at: stamp(server().clock.now() + 10_000) });
    server().clock.advance(12_000);
    const clean = (await t.newProfile('clean')).id;
    const restricted = (await t.newProfile('restricted')).id;
    const restrictionId = await t.open(restricted, { type: 'restriction', reason: 'fraud_or_abuse' });
    const banned = (await t.newProfile('banned')).id;
    await t.open(banned, { type: 'ban', reason: 'high_harm' });
    const pending = (await t.newProfile('pending')).id;
    await t.open(pending, { type: 'restriction', reason: 'fraud_or_abuse', clearable: true });
    await standing().submitIdentityCheck(t.org, pending, END_CUSTOMER, server().sealedEvidence());

    const filtered = async (statuses: ('unrestricted' | 'pending' | 'restricted' | 'banned')[]) => {
      const found: any[] = [];
      for await (const profile of t.client.userProfiles.list({ enforcement_status: statuses })) found.push(profile);
      return found;
    };
    const ids = async (statuses: Parameters<typeof filtered>[0]) => (await filtered(statuses)).map((p) => p.id).sort();

    const onlyRestricted = await filtered(['restricted']);
    assert.deepEqual(onlyRestricted.map((p) => p.id), [restricted]);
    assert.equal(onlyRestricted[0].enforcement_status, 'restricted');
    assert.deepEqual(onlyRestricted[0].enforcement_actions.map((a: any) => a.id), [restrictionId], 'list shows the actions');
    assert.deepEqual(await ids(['restricted', 'banned']), [restricted, banned].sort());
    assert.deepEqual(await ids(['unrestricted']), [lapsed, clean].sort());
    assert.deepEqual(await ids(['pending']), [pending]);

    const raw = assertOk(await call(server(), 'GET', '/v1/user_profiles?enforcement_status[]=restricted', { key: t.platform.api_key }));
    assert.deepEqual(raw.data.map((p: any) => p.id), [restricted]);
  });

  // ------------------------------------------------------------------------------------------ the review queue

  it('the review queue lists pending applications and identity checks, and drops them once decided', async () => {
    const t = await tenant();
    const quiet = (await t.newProfile('quiet')).id;
    await t.open(quiet, { type: 'restriction', reason: 'fraud_or_abuse', clearable: true }); // offered, not submitted
    const cyberApplicant = (await t.newProfile('cyber applicant')).id;
    const efsApplicant = (await t.newProfile('efs applicant')).id;
    const checked = (await t.newProfile('checked')).id;

    server().clock.advance(1_000);
    const appliedAt = server().clock.now();
    await standing().applyForCyber(t.org, cyberApplicant, END_CUSTOMER, ['a', 'c']);
    server().clock.advance(1_000);
    await standing().applyForEfs(t.org, efsApplicant, END_CUSTOMER, ['cmek']);
    server().clock.advance(1_000);
    const checkId = await t.open(checked, { type: 'restriction', reason: 'high_harm', clearable: true });
    await standing().submitIdentityCheck(t.org, checked, END_CUSTOMER, server().sealedEvidence());

    assert.deepEqual(assertOk(await t.op.queue()), {
      data: [
        { user_profile_id: cyberApplicant, name: 'cyber applicant', items: ['cyber_application'] },
        { user_profile_id: efsApplicant, name: 'efs applicant', items: ['efs_application'] },
        { user_profile_id: checked, name: 'checked', items: [`identity_check:${checkId}`] },
      ],
    });

    // what the platform sees of an application under review
    assert.deepEqual((await t.retrieve(cyberApplicant)).programs.cyber, { status: 'pending', tiers: INACTIVE_TIERS, requirements: null });
    assert.deepEqual((await t.retrieveBeta(cyberApplicant)).trust_grants, { cyber: { status: 'pending' } });
    assert.deepEqual((await t.retrieve(efsApplicant)).programs.efs, { status: 'pending', features: INACTIVE_FEATURES });
    const application = assertOk(await t.op.view(cyberApplicant)).cyber.application;
    assert.deepEqual(application.tiers, ['a', 'c']);
    assert.match(application.submitted_at, TIMESTAMP_Z);
    assert.ok(Math.abs(Date.parse(application.submitted_at) - appliedAt) < 5_000);

    assertOk(await t.op.cyber(cyberApplicant, { status: 'active', tiers: { a: { status: 'active' } } }));
    assertOk(await t.op.efs(efsApplicant, { status: 'rejected' }));
    assertOk(await t.op.check(checked, checkId, { result: 'passed' }));
    assert.deepEqual(assertOk(await t.op.queue()), { data: [] });
    assert.equal(assertOk(await t.op.view(cyberApplicant)).cyber.application, null);
  });

  // ------------------------------------------------------------------------------------------ history

  it('history lists every change, newest first, with the platform, operator or end-customer actor', async () => {
    const t = await tenant();
    const platform = { type: 'platform', id: t.platform.key_id };
    const operator = { type: 'operator', id: t.operator.key_id };
    const tick = () => server().clock.advance(1_000);

    const { id } = await t.newProfile('Ann');
    tick();
    await t.client.userProfiles.update(id, { name: 'Bea', metadata: { plan: 'pro' } });
    tick();
    await standing().applyForCyber(t.org, id, END_CUSTOMER, ['b']);
    tick();
    assertOk(await t.op.cyber(id, { status: 'active', tiers: { b: { status: 'active' } } }));
    tick();
    assertOk(await t.op.efs(id, { status: 'pending' }));
    tick();
    const actionId = await t.open(id, { type: 'restriction', reason: 'fraud_or_abuse', clearable: true });
    tick();
    await standing().submitIdentityCheck(t.org, id, END_CUSTOMER, server().sealedEvidence());
    tick();
    assertOk(await t.op.check(id, actionId, { result: 'failed' }));
    tick();
    assertOk(await t.op.resolve(id, actionId));

    const { data } = assertOk(await t.op.history(id));
    for (const entry of data) {
      assert.match(entry.at, TIMESTAMP_Z);
      assert.equal(typeof entry.id, 'string');
    }
    // one change may write several entries at one instant; compare each change's entries as a set
    const changes: { actor: unknown; events: string[] }[] = [];
    for (const entry of data) {
      const previous = changes.at(-1) as any;
      if (previous && previous.at === entry.at) previous.events.push(entry.event);
      else changes.push({ at: entry.at, actor: entry.actor, events: [entry.event] } as any);
    }
    const expected = [
      [operator, ['enforcement.resolved']],
      [operator, ['identity_check.failed']],
      [END_CUSTOMER, ['identity_check.submitted']],
      [operator, ['enforcement.opened']],
      [operator, ['efs.status_changed']],
      [operator, ['cyber.application_reviewed', 'cyber.grants_changed', 'cyber.status_changed']],
      [END_CUSTOMER, ['cyber.application_submitted', 'cyber.status_changed']],
      [platform, ['profile.updated']],
      [platform, ['profile.created']],
    ];
    assert.deepEqual(
      changes.map((c) => [c.actor, [...c.events].sort()]),
      expected,
    );
    const detail = (event: string) => data.find((e: any) => e.event === event)?.detail;
    assert.deepEqual(detail('profile.updated'), { fields: ['name', 'metadata'] });
    assert.deepEqual(detail('cyber.grants_changed'), { active: ['b'] });
    assert.deepEqual(detail('cyber.application_submitted'), { requested: ['b'] });
    assert.deepEqual(detail('enforcement.opened'), { id: actionId, type: 'restriction', reason: 'fraud_or_abuse', clearable: true, expires_at: null });
    assert.deepEqual(detail('enforcement.resolved'), { id: actionId, type: 'restriction' });
  });

  // ------------------------------------------------------------------------------------------ validation

  const future = () => stamp(server().clock.now() + 60_000);
  const past = () => stamp(server().clock.now() - 2_000);

  /** [route, body, the field the message names] — each must be refused with 400 and change nothing */
  const refusals: [keyof Pick<OperatorApi, 'cyber' | 'efs' | 'open'>, () => unknown, string][] = [
    ['cyber', () => ({}), 'status'],
    ['cyber', () => ({ status: 'approved', tiers: { a: { status: 'active' } } }), 'status'],
    ['cyber', () => ({ status: 'active', tiers: { d: { status: 'active' } } }), 'tiers.d'],
    ['cyber', () => ({ status: 'active', tiers: { a: { status: 'enabled' } } }), 'tiers.a.status'],
    ['cyber', () => ({ status: 'active', tiers: { a: { status: 'active', requirements: { audit_logs: true } } } }), 'tiers.a.requirements.audit_logs'],
    ['cyber', () => ({ status: 'active', tiers: { a: { status: 'active', waivers: { human_review: 'yes' } } } }), 'tiers.a.waivers.human_review'],
    ['cyber', () => ({ status: 'active', tiers: { a: { status: 'active', note: 'x' } } }), 'tiers.a.note'],
    ['cyber', () => ({ status: 'active', tiers: { a: { status: 'active' } }, note: 'x' }), 'note'],
    ['cyber', () => ({ status: 'active', tiers: ['a'] }), 'tiers'],
    ['cyber', () => ({ status: 'active', earlier_models: 'yes' }), 'earlier_models'],
    // the profile's only active tier is b
    ['cyber', () => ({ status: 'active', tiers: { b: { status: 'inactive' } } }), 'active cyber program'],
    ['efs', () => ({}), 'status'],
    ['efs', () => ({ status: 'approved' }), 'status'],
    ['efs', () => ({ status: 'active', features: { cmek: true } }), 'features.cmek'],
    ['efs', () => ({ status: 'active', features: { hsm: 'active' } }), 'features.hsm'],
    ['efs', () => ({ status: 'active', features: 'cmek' }), 'features'],
    ['efs', () => ({ status: 'active', attestation: true }), 'attestation'],
    ['open', () => ({ type: 'warning', reason: 'fraud_or_abuse' }), 'type'],
    ['open', () => ({ reason: 'fraud_or_abuse' }), 'type'],
    ['open', () => ({ type: 'restriction', reason: 'spam' }), 'reason'],
    ['open', () => ({ type: 'restriction' }), 'reason'],
    ['open', () => ({ type: 'restriction', reason: 'fraud_or_abuse', note: 'x' }), 'note'],
    ['open', () => ({ type: 'restriction', reason: 'fraud_or_abuse', clearable: 'yes' }), 'clearable'],
    ['open', () => ({ type: 'ban', reason: 'high_harm', clearable: true }), 'clearable'],
    ['open', () => ({ type: 'ban', reason: 'high_harm', expires_at: future() }), 'expires_at'],
    ['open', () => ({ type: 'restriction', reason: 'account_compromise', expires_at: future() }), 'expires_at'],
    ['open', () => ({ type: 'restriction', reason: 'fraud_or_abuse', expires_at: past() }), 'expires_at'],
    ['open', () => ({ type: 'restriction', reason: 'fraud_or_abuse', expires_at: '2099-12-01T00:00:00' }), 'expires_at'],
    ['open', () => ({ type: 'restriction', reason: 'fraud_or_abuse', expires_at: 4_000_000_000 }), 'expires_at'],
  ];

  it('refuses every malformed operator body with 400 naming the problem, and changes nothing', async () => {
    const t = await tenant();
    const { id } = await t.newProfile();
    // some state to keep: a granted tier, an EFS decision, an open action
    assertOk(await t.op.cyber(id, { status: 'active', tiers: { b: { status: 'active' } } }));
    assertOk(await t.op.efs(id, { status: 'pending' }));
    await t.open(id, { type: 'restriction', reason: 'unsupported_region' });
    for (const [route, body, field] of refusals) {
      await refusedWithoutChange(t, id, 400, 'invalid_request_error', () => t.op[route](id, body()), field);
    }
    // on a profile with no cyber status, an active decision with nothing active creates nothing either
    const fresh = (await t.newProfile()).id;
    for (const body of [
      { status: 'active' },
      { status: 'active', tiers: { a: { status: 'inactive', requirements: { data_retention: true } } }, earlier_models: false },
    ]) {
      await refusedWithoutChange(t, fresh, 400, 'invalid_request_error', () => t.op.cyber(fresh, body), 'active cyber program');
    }
    assert.deepEqual((await t.retrieve(fresh)).programs, NO_PROGRAMS);
  });

  /** the accepted neighbours of the refusals above */
  const acceptances: [keyof Pick<OperatorApi, 'cyber' | 'efs' | 'open'>, () => Record<string, unknown>][] = [
    ['cyber', () => ({ status: 'active', tiers: { a: { status: 'active' } } })],
    ['cyber', () => ({ status: 'active', earlier_models: true })],
    ['cyber', () => ({ status: 'active', tiers: { c: { status: 'active', requirements: { data_retention: true }, waivers: { human_review: false } } } })],
    ['cyber', () => ({ status: 'pending' })],
    ['cyber', () => ({ status: 'rejected', tiers: {} })],
    ['efs', () => ({ status: 'active', features: { cmek: 'active', storage: 'inactive' } })],
    ['efs', () => ({ status: 'rejected' })],
    ['open', () => ({ type: 'restriction', reason: 'fraud_or_abuse', expires_at: stamp(server().clock.now() + 5_000) })],
    ['open', () => ({ type: 'restriction', reason: 'fraud_or_abuse', expires_at: '2100-01-01T00:00:00+02:00' })],
    ['open', () => ({ type: 'restriction', reason: 'fraud_or_abuse', clearable: true, expires_at: null })],
    ['open', () => ({ type: 'restriction', reason: 'account_compromise', clearable: false })],
    ['open', () => ({ type: 'ban', reason: 'high_harm', clearable: false, expires_at: null })],
  ];

  it('accepts the valid neighbours of those bodies', async () => {
    const t = await tenant();
    for (const [route, body] of acceptances) {
      const { id } = await t.newProfile();
      const sent = body();
      const res = await t.op[route](id, sent);
      assert.equal(res.status, 200, `${route} ${JSON.stringify(sent)}: ${res.text}`);
      assert.deepEqual(res.json.profile, await t.retrieve(id));
      if (route === 'open') {
        const [action] = res.json.profile.enforcement_actions;
        const expected = sent.expires_at ? new Date(Date.parse(sent.expires_at as string)).toISOString().replace('.000Z', 'Z') : null;
        assert.equal(action.expires_at, expected, 'expires_at stored, normalised to UTC');
      }
    }
  });

  it('identity_check: refuses a bad result body and an action without a check in review; changes nothing', async () => {
    const t = await tenant();
    const { id } = await t.newProfile();
    const actionId = await t.open(id, { type: 'restriction', reason: 'fraud_or_abuse', clearable: true });
    // not submitted yet: nothing to review, whichever result
    await refusedWithoutChange(t, id, 400, 'invalid_request_error', () => t.op.check(id, actionId, { result: 'passed' }));
    await refusedWithoutChange(t, id, 400, 'invalid_request_error', () => t.op.check(id, actionId, { result: 'failed' }));
    await standing().submitIdentityCheck(t.org, id, END_CUSTOMER, server().sealedEvidence());
    for (const body of [{}, { result: 'pass' }, { result: true }, { result: 'passed', reason: 'x' }, { result: 'passed', note: 5 }, { result: 'passed', note: 'x'.repeat(1001) }, []]) {
      await refusedWithoutChange(t, id, 400, 'invalid_request_error', () => t.op.check(id, actionId, body));
    }
    assert.equal((await t.retrieve(id)).enforcement_status, 'pending');
    assert.equal(assertOk(await t.op.check(id, actionId, { result: 'failed' })).profile.enforcement_status, 'restricted');
  });

  // ------------------------------------------------------------------------------------------ who may call

  it('platform keys, admin keys and foreign operator keys get 404 on every operator route; missing key 401; nothing changes', async () => {
    const t = await tenant();
    const { id } = await t.newProfile();
    await standing().applyForCyber(t.org, id, END_CUSTOMER, ['a']);
    const actionId = await t.open(id, { type: 'restriction', reason: 'fraud_or_abuse', clearable: true });
    await standing().submitIdentityCheck(t.org, id, END_CUSTOMER, server().sealedEvidence());
    const admin = await server().newKey({ organization: `operator-test-admin-${randomUUID()}`, role: 'admin' });
    const foreign = await tenant();
    const callers: [string, OperatorApi][] = [
      ['platform key of the same organization', operatorApi(server(), t.platform.api_key)],
      ['admin key', operatorApi(server(), admin.api_key)],
      ['operator key of another organization', foreign.op],
    ];
    for (const [who, op] of callers) {
      for (const [route, attempt] of everyRoute(op, id, actionId)) {
        if (route === 'GET review_queue' && op === foreign.op) continue; // answers, for its own organization: below
        const before = await t.state(id);
        const res = await attempt();
        assertApiError(res, 404, 'not_found_error');
        assert.deepEqual(await t.state(id), before, `${who}, ${route}: nothing changed`);
      }
    }
    assert.deepEqual(assertOk(await foreign.op.queue()), { data: [] }, "another organization's queue does not show this profile");
    assert.equal(assertOk(await t.op.queue()).data.length, 1);

    const anonymous = await call(server(), 'GET', `/v1/operator/user_profiles/${id}`);
    assertApiError(anonymous, 401, 'authentication_error');
    const unknownKey = await call(server(), 'GET', '/v1/operator/review_queue', { key: 'sk-uprof-op01-nope' });
    assertApiError(unknownKey, 401, 'authentication_error');
  });

  it('operator keys get 404 on platform routes and change nothing there', async () => {
    const t = await tenant();
    const created = await t.newProfile();
    const asOperator = currentSdk(server(), t.operator.api_key).userProfiles;
    await expectSdkError(asOperator.retrieve(created.id), 404, 'not_found_error');
    await expectSdkError(asOperator.update(created.id, { name: 'Mallory' }), 404, 'not_found_error');
    await expectSdkError(asOperator.delete(created.id), 404, 'not_found_error');
    await expectSdkError(asOperator.create({ name: 'Mallory' }), 404, 'not_found_error');
    await expectSdkError(asOperator.list(), 404, 'not_found_error');
    await expectSdkError(asOperator.actionURLs.create(created.id, { action: { type: 'enroll_end_user' } }), 404, 'not_found_error');
    await expectSdkError(currentSdk(server(), t.operator.api_key).beta.userProfiles.retrieve(created.id), 404, 'not_found_error');
    assert.deepEqual(await t.retrieve(created.id), created);
    const listed = [];
    for await (const p of t.client.userProfiles.list()) listed.push(p.id);
    assert.deepEqual(listed, [created.id], 'no profile was created');
  });

  const UNKNOWN_ACTION = 'enac_01' + 'A'.repeat(22);

  it('unknown, malformed and deleted profile ids → 404 on every profile route; a deleted profile leaves the queue', async () => {
    const t = await tenant();
    const { id } = await t.newProfile();
    const actionId = await t.open(id, { type: 'restriction', reason: 'fraud_or_abuse', clearable: true });
    await standing().submitIdentityCheck(t.org, id, END_CUSTOMER, server().sealedEvidence());
    for (const bad of ['uprof_01' + 'A'.repeat(22), 'uprof_nope', 'nope']) {
      for (const [route, attempt] of everyRoute(t.op, bad, actionId)) {
        if (route !== 'GET review_queue') assertApiError(await attempt(), 404, 'not_found_error');
      }
    }
    assert.equal(assertOk(await t.op.queue()).data.length, 1);
    await t.client.userProfiles.delete(id);
    for (const [route, attempt] of everyRoute(t.op, id, actionId)) {
      if (route === 'GET review_queue') assert.deepEqual(assertOk(await attempt()), { data: [] }, 'a deleted profile leaves the queue');
      else assertApiError(await attempt(), 404, 'not_found_error');
    }
  });

  it('an unknown enforcement action id → 404 on resolve and on identity_check; nothing changes', async () => {
    const t = await tenant();
    const { id } = await t.newProfile();
    await t.open(id, { type: 'restriction', reason: 'fraud_or_abuse', clearable: true });
    await standing().submitIdentityCheck(t.org, id, END_CUSTOMER, server().sealedEvidence());
    await refusedWithoutChange(t, id, 404, 'not_found_error', () => t.op.resolve(id, UNKNOWN_ACTION));
    await refusedWithoutChange(t, id, 404, 'not_found_error', () => t.op.check(id, UNKNOWN_ACTION, { result: 'passed' }));
  });

  it('a malformed enforcement action id in the path → 404 (decisions §22); nothing changes', async () => {
    const t = await tenant();
    const { id } = await t.newProfile();
    await t.open(id, { type: 'restriction', reason: 'fraud_or_abuse', clearable: true });
    await standing().submitIdentityCheck(t.org, id, END_CUSTOMER, server().sealedEvidence());
    for (const bad of ['enac_nope', 'nope', 'uprof_01' + 'A'.repeat(22)]) {
      await refusedWithoutChange(t, id, 404, 'not_found_error', () => t.op.resolve(id, bad));
      await refusedWithoutChange(t, id, 404, 'not_found_error', () => t.op.check(id, bad, { result: 'passed' }));
    }
  });
});
