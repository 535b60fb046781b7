// The image-function case, loaded only when the containers module is there: a busybox httpd
// image from a real registry, run as a function's container and served through the gateway.
import assert from 'node:assert/strict';
import type { TestDaemon } from '../support/daemon.js';
import { pushBusyboxImage, registrySkipReason, startRegistry } from '../support/registry.js';

export async function imageFunctionCase(d: TestDaemon, gw: string): Promise<string | undefined> {
  const skip = registrySkipReason();
  if (skip) return skip;
  const reg = await startRegistry();
  try {
    const img = await pushBusyboxImage(reg, 'fn/httpd', {
      cmd: ['/bin/httpd', '-f', '-p', '8080', '-h', '/www'],
      files: { 'www/index.html': 'hello from a container\n' },
    });
    const r = await d.cli(['fn', 'deploy', 'web', '--image', img.ref, '--port', '8080', '--keepalive', 'fixed:1s']);
    assert.equal(r.code, 0, r.stderr);
    const res = await fetch(`${gw}/fn/web/index.html`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'hello from a container\n');
    // After the keep-alive the container goes; the next cold start starts the prepared one.
    const instances = async () => (await d.api<{ stats: { instances: number } }>('GET', '/v1/functions/web')).body.stats.instances;
    for (let i = 0; i < 100 && (await instances()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(await instances(), 0, 'scaled to zero');
    const again = await fetch(`${gw}/fn/web/index.html`);
    assert.equal(again.status, 200);
    const logs = (await d.api<{ logs: Array<{ text: string }> }>('GET', '/v1/functions/web/logs')).body.logs;
    assert.ok(logs.some((l) => /instance started in .*prepared container/.test(l.text)), JSON.stringify(logs));
    const rm = await d.cli(['fn', 'rm', 'web']);
    assert.equal(rm.code, 0, rm.stderr);
    return undefined;
  } finally {
    await reg.stop();
  }
}
