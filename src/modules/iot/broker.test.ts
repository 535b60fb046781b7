import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brokerConfig, brokerFiles } from './broker.js';

const f = brokerFiles('/d');
const tls = { host: '0.0.0.0', port: 8883, certPort: 8884, ca: '/ca.crt', cert: '/s.crt', key: '/s.key', crl: '/crl.pem' };

test('with TLS the plain listener is on loopback; each listener names its own authentication', () => {
  const conf = brokerConfig(f, { plain: { host: '127.0.0.1', port: 1883 }, tls });
  const blocks = conf.split(/\n(?=listener )/).slice(1);
  assert.deepEqual(blocks.map((b) => b.split('\n')[0]), ['listener 1883 127.0.0.1', 'listener 8883 0.0.0.0', 'listener 8884 0.0.0.0']);
  assert.match(conf, /^per_listener_settings true$/m);
  for (const b of blocks) {
    assert.match(b, /^allow_anonymous false$/m);
    assert.match(b, /^acl_file \/d\/acl$/m);
  }
  assert.match(blocks[1]!, /^password_file \/d\/passwd$/m);
  assert.doesNotMatch(blocks[1]!, /require_certificate/);
  // The certificate listener: the CN is the username, no password file, revocations checked.
  assert.doesNotMatch(blocks[2]!, /password_file/);
  for (const line of ['require_certificate true', 'use_identity_as_username true', 'crlfile /crl.pem', 'cafile /ca.crt']) assert.ok(blocks[2]!.includes(line), line);
});

test('without TLS one plain listener, as configured', () => {
  const conf = brokerConfig(f, { plain: { host: '10.0.0.5', port: 1883 } });
  assert.deepEqual(conf.match(/^listener .*$/gm), ['listener 1883 10.0.0.5']);
  assert.doesNotMatch(conf, /cafile|certfile/);
});
