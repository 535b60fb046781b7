// HTTP/2 on an upgraded HTTPS connection (the agents' tunnel): through jsDuplex both directions
// work (a request and a CONNECT). Without it, node:http2 on the socket the HTTP/1 parser consumed
// aborts the whole process (Http2Session::OnStreamAfterWrite assertion): the child shows it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

/** A script that runs the tunnel over HTTPS upgrade, with or without the wrapper. */
const script = (wrap: boolean, dir: string) => `
import https from 'node:https'; import http2 from 'node:http2'; import fs from 'node:fs'; import net from 'node:net';
import { jsDuplex } from ${JSON.stringify(path.join(here, 'js-duplex.js'))};
const key = fs.readFileSync(${JSON.stringify(path.join(dir, 'k.pem'))}), cert = fs.readFileSync(${JSON.stringify(path.join(dir, 'c.pem'))});
const w = (s, h) => ${wrap ? 'jsDuplex(s, h)' : '(h.length && s.unshift(h), s)'};
const echo = net.createServer((s) => s.pipe(s)).listen(0, '127.0.0.1');
const srv = https.createServer({ key, cert });
srv.on('upgrade', (req, socket, head) => {
  socket.write('HTTP/1.1 101 Switching Protocols\\r\\nConnection: Upgrade\\r\\nUpgrade: t\\r\\n\\r\\n');
  const sess = http2.connect('http://node', { createConnection: () => w(socket, head) });
  const r = sess.request({ ':path': '/hello' });
  let body = '';
  r.on('data', (d) => (body += d));
  r.on('end', () => {
    const c = sess.request({ ':method': 'CONNECT', ':authority': '127.0.0.1:' + echo.address().port });
    c.on('response', () => c.write('ping'));
    c.on('data', (d) => { console.log(body + ' ' + d); process.exit(0); });
  });
});
srv.listen(0, '127.0.0.1', () => {
  const req = https.request({ host: '127.0.0.1', port: srv.address().port, ca: cert, headers: { connection: 'Upgrade', upgrade: 't' } });
  req.on('upgrade', (res, socket, head) => {
    const h2 = http2.createServer();
    h2.on('stream', (st, h) => {
      if (h[':method'] === 'CONNECT') { const [ho, p] = h[':authority'].split(':'); const s = net.connect(+p, ho, () => { st.respond({ ':status': 200 }); s.pipe(st); st.pipe(s); }); return; }
      st.respond({ ':status': 200 }); st.end('agent' + h[':path']);
    });
    h2.emit('connection', w(socket, head));
  });
  req.end();
});
setTimeout(() => process.exit(3), 10000).unref();
`;

test('HTTP/2 both ways over an upgraded HTTPS connection: works through jsDuplex, aborts the process without it', { skip: !spawnSync('openssl', ['version']).stdout ? 'openssl missing' : false }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'llmos-jsduplex-'));
  try {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', path.join(dir, 'k.pem'), '-out', path.join(dir, 'c.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    for (const wrap of [true, false]) writeFileSync(path.join(dir, `${wrap}.mjs`), script(wrap, dir));
    const ok = spawnSync(process.execPath, [path.join(dir, 'true.mjs')], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), 'agent/hello ping');
    const raw = spawnSync(process.execPath, [path.join(dir, 'false.mjs')], { encoding: 'utf8', timeout: 15_000 });
    assert.notEqual(raw.status, 0, 'http2 straight on the upgraded socket now works: the wrapper may no longer be needed');
    assert.match(raw.stderr + String(raw.signal), /is_write_in_progress|SIGABRT/);
    assert.ok(readFileSync(path.join(dir, 'c.pem')).length > 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
