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
    const r = await d.cli(['fn', 'deploy', 'web', '--image', img.ref, '--port', '8080', '--keepalive', 'fixed:2s']);
    assert.equal(r.code, 0, r.stderr);
    const res = await fetch(`${gw}/fn/web/index.html`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'hello from a container\n');
    const rm = await d.cli(['fn', 'rm', 'web']);
    assert.equal(rm.code, 0, rm.stderr);
    return undefined;
  } finally {
    await reg.stop();
  }
}
