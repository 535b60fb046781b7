import { startDaemon } from '../../test/support/daemon.js';
import { pushBusyboxImage, startRegistry } from '../../test/support/registry.js';
const d = await startDaemon();
const reg = await startRegistry();
try {
  const img = await pushBusyboxImage(reg, 'bench/httpd', { cmd: ['/bin/httpd', '-f', '-p', '8080', '-h', '/www'], files: { 'www/index.html': 'hello\n' } });
  for (let i = 0; i < 5; i++) {
    await d.api('POST', '/v1/functions', { name: `img${i}`, image: img.ref, port: 8080 });
    const t0 = performance.now();
    const r = await fetch(`${d.gateway}/fn/img${i}/index.html`);
    await r.text();
    console.log(i, r.status, (performance.now() - t0).toFixed(1));
  }
  const logs = (await d.api<any>('GET', '/v1/functions/-/logs?tail=1000')).body.logs.filter((l: any) => /instance started/.test(l.text));
  for (const l of logs) console.log(l.function, l.text);
  for (let i = 0; i < 5; i++) await d.api('DELETE', `/v1/functions/img${i}`);
} finally { await reg.stop(); await d.stop(); }
