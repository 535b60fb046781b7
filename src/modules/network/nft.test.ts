import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCounters, tableScript } from './nft.js';

test('the table script: delete and re-create in one transaction, one chain per endpoint, counters everywhere', () => {
  const s = tableScript('abcd1234', [{ namespace: 'default', name: 'web', clusterIp: '10.96.0.5', ports: [{ port: 80, targetPort: 8080, hostPort: 9000 }], endpoints: ['10.89.0.3', '10.89.0.2'] }]);
  const lines = s.split('\n');
  assert.deepEqual(lines.slice(0, 3), ['table ip llmos-abcd1234-svc', 'delete table ip llmos-abcd1234-svc', 'table ip llmos-abcd1234-svc {']);
  assert.match(s, /ip daddr 10\.96\.0\.5 tcp dport 80 counter jump svc-default-web-80 comment "svc default\/web 10\.96\.0\.5:80"/);
  assert.match(s, /fib daddr type local tcp dport 9000 counter jump svc-default-web-80 comment "svc default\/web hostport 9000"/);
  // Endpoints sorted, so the same set gives the same script.
  assert.match(s, /numgen random mod 2 vmap \{ 0 : jump svc-default-web-80-ep0, 1 : jump svc-default-web-80-ep1 \}/);
  assert.match(s, /chain svc-default-web-80-ep0 \{\n {4}meta l4proto tcp counter dnat to 10\.89\.0\.2:8080/);
  assert.match(s, /masquerade/);
});

test('ClientIP affinity hashes the source; no endpoints drops; no services deletes the table', () => {
  const a = tableScript('t', [{ namespace: 'ns', name: 'db', clusterIp: '10.96.0.9', ports: [{ port: 5432, targetPort: 5432 }], endpoints: ['10.89.0.4'], sessionAffinity: 'ClientIP' }]);
  assert.match(a, /jhash ip saddr mod 1 vmap/);
  const none = tableScript('t', [{ namespace: 'ns', name: 'db', clusterIp: '10.96.0.9', ports: [{ port: 5432, targetPort: 5432 }], endpoints: [] }]);
  assert.match(none, /counter drop comment "svc ns\/db 5432 no endpoints"/);
  assert.equal(tableScript('t', []), 'table ip llmos-t-svc\ndelete table ip llmos-t-svc\n');
});

test('counters are read back by the rule comments of one service', () => {
  const json = JSON.stringify({
    nftables: [
      { metainfo: {} },
      { rule: { chain: 'services', comment: 'svc default/web 10.96.0.5:80', expr: [{ match: {} }, { counter: { packets: 7, bytes: 420 } }, { jump: {} }] } },
      { rule: { chain: 'x', comment: 'ep default/web 80 10.89.0.2:80', expr: [{ counter: { packets: 3, bytes: 180 } }] } },
      { rule: { chain: 'y', comment: 'svc default/webby 10.96.0.6:80', expr: [{ counter: { packets: 1, bytes: 1 } }] } },
    ],
  });
  assert.deepEqual(parseCounters(json, 'default/web'), [
    { rule: '10.96.0.5:80', packets: 7, bytes: 420 },
    { rule: 'endpoint 80 10.89.0.2:80', packets: 3, bytes: 180 },
  ]);
  assert.deepEqual(parseCounters('not json', 'default/web'), []);
});
