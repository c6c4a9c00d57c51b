import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config.ts';
import { isLoopbackHost, nonPublicKind, nonPublicUrl } from '../../src/webhooks/targets.ts';

describe('webhook targets: which addresses are public', () => {
  it('IPv4: each non-public range, with the public addresses just outside it', () => {
    const ranges: [string, string, string, string, string][] = [
      // [last public before, first inside, last inside, first public after, kind]
      ['', '0.0.0.0', '0.255.255.255', '1.0.0.0', 'unspecified'],
      ['9.255.255.255', '10.0.0.0', '10.255.255.255', '11.0.0.0', 'private'],
      ['100.63.255.255', '100.64.0.0', '100.127.255.255', '100.128.0.0', 'shared'],
      ['126.255.255.255', '127.0.0.0', '127.255.255.255', '128.0.0.0', 'loopback'],
      ['169.253.255.255', '169.254.0.0', '169.254.255.255', '169.255.0.0', 'link-local'],
      ['172.15.255.255', '172.16.0.0', '172.31.255.255', '172.32.0.0', 'private'],
      ['191.255.255.255', '192.0.0.0', '192.0.0.255', '192.0.1.0', 'reserved'],
      ['192.0.1.255', '192.0.2.0', '192.0.2.255', '192.0.3.0', 'documentation'],
      ['192.88.98.255', '192.88.99.0', '192.88.99.255', '192.88.100.0', '6to4'],
      ['192.167.255.255', '192.168.0.0', '192.168.255.255', '192.169.0.0', 'private'],
      ['198.17.255.255', '198.18.0.0', '198.19.255.255', '198.20.0.0', 'benchmarking'],
      ['198.51.99.255', '198.51.100.0', '198.51.100.255', '198.51.101.0', 'documentation'],
      ['203.0.112.255', '203.0.113.0', '203.0.113.255', '203.0.114.0', 'documentation'],
      ['223.255.255.255', '224.0.0.0', '239.255.255.255', '', 'multicast'],
      ['', '240.0.0.0', '255.255.255.255', '', 'reserved'],
    ];
    for (const [before, first, last, after, kind] of ranges) {
      if (before) assert.equal(nonPublicKind(before), null, before);
      assert.match(nonPublicKind(first) ?? 'public', new RegExp(kind), first);
      assert.match(nonPublicKind(last) ?? 'public', new RegExp(kind), last);
      if (after) assert.equal(nonPublicKind(after), null, after);
    }
    for (const address of ['8.8.8.8', '1.1.1.1', '93.184.216.34']) assert.equal(nonPublicKind(address), null, address);
  });

  it('IPv6: loopback, unspecified, unique-local, link-local, multicast, documentation, anything outside 2000::/3; public ones pass', () => {
    const refused: [string, string][] = [
      ['::1', 'loopback'], ['0:0:0:0:0:0:0:1', 'loopback'], ['::', 'unspecified'], ['fc00::1', 'unique-local'], ['fd12:3456::1', 'unique-local'],
      ['fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'unique-local'], ['fe80::1', 'link-local'], ['fe80::1%eth0', 'link-local'],
      ['febf:ffff::1', 'link-local'], ['fec0::1', 'site-local'], ['ff02::1', 'multicast'], ['2001:db8::1', 'documentation'],
      ['100::1', 'discard'], ['2001::1', 'IETF'], ['64:ff9b:1::1', 'NAT64'], ['::2', 'IPv4-compatible'],
      ['3fff::1', 'documentation'], ['fe00::1', 'not global unicast'], ['1fff:ffff::1', 'not global unicast'], ['4000::1', 'not global unicast'],
    ];
    for (const [address, kind] of refused) assert.match(nonPublicKind(address) ?? 'public', new RegExp(kind), address);
    for (const address of ['2606:4700:4700::1111', '2a00:1450:4001::1', '2000::1', '3ffe:ffff::1', '2001:200::1', '2001:db7:ffff::1', '2001:db9::1']) {
      assert.equal(nonPublicKind(address), null, address);
    }
  });

  it('IPv6 forms that carry an IPv4 address are judged by it: mapped, NAT64, 6to4', () => {
    for (const address of ['::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1', '::ffff:a00:1', '64:ff9b::10.0.0.1', '64:ff9b::a9fe:a9fe', '2002:7f00:1::1', '2002:c0a8:101::']) {
      assert.notEqual(nonPublicKind(address), null, address);
    }
    for (const address of ['::ffff:8.8.8.8', '64:ff9b::808:808', '2002:808:808::1']) assert.equal(nonPublicKind(address), null, address);
  });

  it('URLs: addresses in any form WHATWG URL accepts, localhost names; other names wait for delivery', () => {
    const refused = [
      'https://10.0.0.1/', 'https://192.168.1.1/', 'https://[::1]/', 'http://127.0.0.1:9/h', 'https://localhost/', 'https://LOCALHOST./x',
      'https://hooks.localhost/', 'https://2130706433/', 'https://0x7f000001/', 'https://017700000001/', 'https://0177.0.0.1/', 'https://127.1/',
      'https://0/', 'https://[::ffff:127.0.0.1]/', 'https://[::ffff:7f00:1]/', 'https://[0:0:0:0:0:ffff:a00:1]/', 'https://169.254.169.254/latest',
      'https://[fe80::1]/', 'https://[fd00::1]/', 'https://[::]/', 'https://100.64.0.1/', 'https://224.0.0.1/', 'https://255.255.255.255/',
    ];
    for (const url of refused) assert.notEqual(nonPublicUrl(new URL(url)), null, url);
    const accepted = ['https://hooks.example.com/', 'https://8.8.8.8/', 'https://134744072/', 'https://[2606:4700::1111]/', 'https://[::ffff:8.8.8.8]/', 'https://localhost.example.com/', 'https://mylocalhost/'];
    for (const url of accepted) assert.equal(nonPublicUrl(new URL(url)), null, url);
    assert.equal(nonPublicUrl(new URL('https://2130706433/')), '127.0.0.1 is a loopback address');
  });

  it('the policy: private targets allowed on a loopback server, refused on any other, unless WEBHOOK_ALLOW_PRIVATE_TARGETS says otherwise', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '::1', '[::1]', 'localhost']) assert.equal(isLoopbackHost(host), true, host);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.10', 'uprof.example.com']) assert.equal(isLoopbackHost(host), false, host);
    const allowed = (env: Record<string, string>) => loadConfig(env).webhooks.allowPrivateTargets;
    assert.equal(allowed({}), true, 'the default HOST is 127.0.0.1');
    assert.equal(allowed({ HOST: '0.0.0.0' }), false);
    assert.equal(allowed({ HOST: '0.0.0.0', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' }), true);
    assert.equal(allowed({ HOST: '127.0.0.1', WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false' }), false);
    assert.equal(allowed({ HOST: '0.0.0.0', WEBHOOK_ALLOW_PRIVATE_TARGETS: '' }), false);
    for (const value of ['yes', '1', 'on', 'TRUEISH']) {
      assert.throws(() => loadConfig({ WEBHOOK_ALLOW_PRIVATE_TARGETS: value }), /WEBHOOK_ALLOW_PRIVATE_TARGETS must be true or false/, value);
    }
  });
});
