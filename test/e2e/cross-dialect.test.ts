/**
 * One canonical record, four dialects (decisions §8–9, api-contract.md §4.4): what one version writes,
 * every other version reads under its own names.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeEachEngine } from '../support/suite.ts';
import { DIALECTS, assertProfileShape, sdkProfiles, sharedView, type Dialect, type SdkProfiles } from './profile-api.ts';

describeEachEngine('cross-dialect', (server) => {
  /** one organization, spoken to in all four dialects through the SDK that speaks each */
  async function org(): Promise<Record<Dialect, SdkProfiles>> {
    const { api_key } = await server().newKey();
    return Object.fromEntries(DIALECTS.map((d) => [d, sdkProfiles(server(), api_key, d)])) as Record<Dialect, SdkProfiles>;
  }

  /** the profile under every dialect, each checked against its dialect's shape */
  async function readAll(api: Record<Dialect, SdkProfiles>, id: string): Promise<Record<Dialect, any>> {
    const views = {} as Record<Dialect, any>;
    for (const dialect of DIALECTS) {
      views[dialect] = await api[dialect].retrieve(id);
      assertProfileShape(views[dialect], dialect);
    }
    return views;
  }

  /** the platform reference as each dialect names it */
  function references(views: Record<Dialect, any>) {
    return {
      '03-24': views['03-24'].external_id,
      '08-18': views['08-18'].external_id,
      '09-04': views['09-04'].external_user_details.reference_id,
      ga: views.ga.external_user_details.reference_id,
    };
  }
  const everywhere = <T>(value: T) => ({ '03-24': value, '08-18': value, '09-04': value, ga: value });

  for (const writer of ['03-24', '08-18'] as const) {
    it(`external_id written under ${writer} is external_user_details.reference_id under 09-04 and GA`, async () => {
      const api = await org();
      const { id } = await api[writer].create({ external_id: `ext-${writer}` });
      assert.deepEqual(references(await readAll(api, id)), everywhere(`ext-${writer}`));

      await api[writer].update(id, { external_id: 'changed' });
      assert.deepEqual(references(await readAll(api, id)), everywhere('changed'));

      await api[writer].update(id, { external_id: null });
      assert.deepEqual(references(await readAll(api, id)), everywhere(null));
    });
  }

  for (const writer of ['09-04', 'ga'] as const) {
    it(`external_user_details.reference_id written under ${writer} is external_id under 03-24 and 08-18`, async () => {
      const api = await org();
      const { id } = await api[writer].create({ external_user_details: { reference_id: `ref-${writer}` } });
      assert.deepEqual(references(await readAll(api, id)), everywhere(`ref-${writer}`));

      await api[writer].update(id, { external_user_details: { reference_id: 'moved' } });
      assert.deepEqual(references(await readAll(api, id)), everywhere('moved'));
    });
  }

  it('external_user_onboarded_at (08-18) is external_user_details.onboarded_at (09-04, GA), normalised to UTC, both ways', async () => {
    const api = await org();
    const { id } = await api['08-18'].create({ external_user_onboarded_at: '2025-03-01T09:15:00-05:00' });
    let views = await readAll(api, id);
    assert.equal(views['08-18'].external_user_onboarded_at, '2025-03-01T14:15:00Z');
    assert.equal(views['09-04'].external_user_details.onboarded_at, '2025-03-01T14:15:00Z');
    assert.equal(views.ga.external_user_details.onboarded_at, '2025-03-01T14:15:00Z');
    assert.ok(!('external_user_onboarded_at' in views['03-24']), '03-24 does not expose the onboarding time');

    await api.ga.update(id, { external_user_details: { onboarded_at: '2025-04-02T00:00:00+02:00' } });
    views = await readAll(api, id);
    assert.equal(views['08-18'].external_user_onboarded_at, '2025-04-01T22:00:00Z');
    assert.equal(views['09-04'].external_user_details.onboarded_at, '2025-04-01T22:00:00Z');
  });

  it('relationship resold (03-24) is access_type passthrough, and back', async () => {
    const api = await org();
    const resold = await api['03-24'].create({ name: 'Reseller', relationship: 'resold' });
    let views = await readAll(api, resold.id);
    assert.deepEqual(
      [views['03-24'].relationship, views['08-18'].access_type, views['09-04'].access_type, views.ga.access_type],
      ['resold', 'passthrough', 'passthrough', 'passthrough'],
    );

    const { id } = await api.ga.create({ access_type: 'passthrough' });
    assert.equal((await api['03-24'].retrieve(id)).relationship, 'resold');
    await api['08-18'].update(id, { access_type: 'application' });
    assert.equal((await api['03-24'].retrieve(id)).relationship, 'external');
    await api['03-24'].update(id, { relationship: 'resold' });
    views = await readAll(api, id);
    assert.deepEqual([views['08-18'].access_type, views['09-04'].access_type, views.ga.access_type], ['passthrough', 'passthrough', 'passthrough']);
    await api['03-24'].update(id, { relationship: 'external' });
    assert.equal((await api.ga.retrieve(id)).access_type, 'application');
  });

  it('internal reads as application under newer versions and round-trips under 03-24 across their updates', async () => {
    const api = await org();
    const { id } = await api['03-24'].create({ relationship: 'internal' });
    const views = await readAll(api, id);
    assert.equal(views['03-24'].relationship, 'internal');
    assert.deepEqual([views['08-18'].access_type, views['09-04'].access_type, views.ga.access_type], ['application', 'application', 'application']);

    // updates that do not write the kind keep it
    await api.ga.update(id, { name: 'Our own usage', external_user_details: { country: 'US' }, access_type: null });
    await api['08-18'].update(id, { external_id: 'self' });
    assert.equal((await api['03-24'].retrieve(id)).relationship, 'internal');
  });

  for (const [writer, accessType, reads] of [
    ['08-18', 'application', 'external'],
    ['ga', 'application', 'external'],
    ['09-04', 'passthrough', 'resold'],
  ] as const) {
    it(`writing access_type ${accessType} under ${writer} clears a stored internal (03-24 then reads ${reads})`, async () => {
      const api = await org();
      const { id } = await api['03-24'].create({ relationship: 'internal' });
      await api[writer].update(id, { access_type: accessType });
      assert.equal((await api['03-24'].retrieve(id)).relationship, reads);
      // and going back to application does not resurrect internal
      await api[writer].update(id, { access_type: 'application' });
      assert.equal((await api['03-24'].retrieve(id)).relationship, 'external');
    });
  }

  it('the same profile shows the same id, name, metadata and timestamps in all four dialects, retrieved and listed', async () => {
    const api = await org();
    const created = await api['09-04'].create({ name: 'Dana', metadata: { plan: 'pro', region: 'eu' } });
    server().clock.advance(3_000);
    await api['03-24'].update(created.id, { name: 'Dana K.', metadata: { region: '' } });
    const views = await readAll(api, created.id);
    const expected = sharedView(views.ga);
    assert.equal(expected.name, 'Dana K.');
    assert.deepEqual(expected.metadata, { plan: 'pro' });
    assert.equal(expected.created_at, created.created_at);
    assert.notEqual(expected.updated_at, created.updated_at);
    for (const dialect of DIALECTS) {
      assert.deepEqual(sharedView(views[dialect]), expected, `retrieve under ${dialect}`);
      const [listed] = (await api[dialect].list({ limit: 5 })).data;
      assert.deepEqual(listed, views[dialect], `list under ${dialect}`);
    }
  });

  it('an update in one dialect keeps the fields only other dialects can see', async () => {
    const api = await org();
    const details = {
      account_status: 'suspended', country: 'JP', email_hash: 'eh', entity_type: 'individual',
      name_hash: 'nh', onboarded_at: '2025-01-01T00:00:00Z', reference_id: 'ref',
    };
    const { id } = await api.ga.create({ access_type: 'passthrough', external_user_details: details });
    await api['03-24'].update(id, { name: 'Legacy writer', metadata: { k: 'v' } });
    await api['08-18'].update(id, { name: 'Middle writer' });
    const after = await api.ga.retrieve(id);
    assert.deepEqual(after.external_user_details, details);
    assert.equal(after.access_type, 'passthrough');
    assert.equal(after.name, 'Middle writer');
    assert.deepEqual(after.metadata, { k: 'v' });
  });
});
