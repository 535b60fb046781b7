// The egress policy's pure parts, table-driven: which addresses are public, how --allow-net entries
// are read, and which connections a policy allows. (This machine reaches no public address, so
// "public is allowed" is tested here, not by traffic.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addressAllowed, checkUrl, isPublicAddress, normalizeAllowEntry } from './egress.js';

test('isPublicAddress: public unicast only', () => {
  for (const ip of ['1.1.1.1', '8.8.8.8', '93.184.216.34', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '2a00:1450::1', '::ffff:8.8.8.8']) assert.equal(isPublicAddress(ip), true, ip);
  const denied = [
    '127.0.0.1', '127.255.255.254', '10.0.0.1', '10.255.1.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254',
    '100.64.0.1', '100.127.255.255', '0.0.0.0', '224.0.0.1', '239.255.255.250', '255.255.255.255', '192.0.2.1', '198.18.0.1',
    '::1', '::', 'fc00::1', 'fd12:3456::1', 'fe80::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:10.0.0.1',
    '0:0:0:0:0:ffff:c0a8:101', '64:ff9b::a00:1', '2002:a00:1::', '2001:db8::1', 'not-an-ip', '',
  ];
  for (const ip of denied) assert.equal(isPublicAddress(ip), false, ip);
});

test('normalizeAllowEntry: HOST:PORT, lowercased; anything else is refused', () => {
  assert.equal(normalizeAllowEntry('LocalHost:8080'), 'localhost:8080');
  assert.equal(normalizeAllowEntry(' 10.1.0.11:80 '), '10.1.0.11:80');
  assert.equal(normalizeAllowEntry('[::1]:443'), '[::1]:443');
  for (const bad of ['localhost', 'host:0', 'host:70000', 'host:80/path', 'user@host:80', 'http://x:80', ':80', '']) assert.throws(() => normalizeAllowEntry(bad), /HOST:PORT/, bad);
});

test('addressAllowed: public by default, private only when the host:port (or address:port) is listed', () => {
  const none = { allow: [], maxResponseBytes: 1 };
  const listed = { allow: ['registry.lan:5000', '10.1.0.11:8080'], maxResponseBytes: 1 };
  const u = (s: string) => new URL(s);
  assert.equal(addressAllowed(u('https://example.com/'), '93.184.216.34', none), true);
  assert.equal(addressAllowed(u('http://example.com/'), '127.0.0.1', none), false, 'a public name resolving to loopback (rebinding) is refused');
  assert.equal(addressAllowed(u('http://registry.lan:5000/v2/'), '192.168.1.5', listed), true);
  assert.equal(addressAllowed(u('http://registry.lan:5001/v2/'), '192.168.1.5', listed), false, 'another port is not listed');
  assert.equal(addressAllowed(u('http://10.1.0.11:8080/'), '10.1.0.11', listed), true);
  assert.equal(addressAllowed(u('http://10.1.0.11/'), '10.1.0.11', listed), false);
  // The daemon's own ports on this machine's addresses are refused even when the address is public-looking.
  assert.equal(addressAllowed(u('http://0.0.0.0:7070/'), '0.0.0.0', { ...none, ownPorts: [7070] }), false);
});

test('checkUrl: schemes and literal addresses are refused before any lookup', () => {
  const none = { allow: [], maxResponseBytes: 1 };
  assert.throws(() => checkUrl(new URL('file:///etc/passwd'), none), /unsupported scheme file:/);
  assert.throws(() => checkUrl(new URL('http://[::ffff:127.0.0.1]:7070/'), none), /private, loopback or reserved/);
  assert.throws(() => checkUrl(new URL('http://2130706433/'), none), /127\.0\.0\.1.*private/, 'the URL parser turns a decimal host into 127.0.0.1');
  assert.throws(() => checkUrl(new URL('http://0x7f.1/'), none), /private/);
  checkUrl(new URL('https://1.1.1.1/'), none);
  checkUrl(new URL('http://example.com/'), none); // names are checked at lookup
});
