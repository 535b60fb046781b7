// The bench image as a plain OCI bundle for bare `runc run` (the baseline of bench/start): skopeo
// copies it out of the registry, umoci unpacks it and writes the runtime config, which is set to
// run /bin/true without a terminal and without its nofile rlimit.
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Makes `<dir>/bundle` from the image; returns its path. */
export async function runcBundle(image: string, dir: string): Promise<string> {
  const layout = path.join(dir, 'layout');
  const bundle = path.join(dir, 'bundle');
  await exec('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${image}`, `oci:${layout}:b`]);
  await exec('umoci', ['unpack', '--image', `${layout}:b`, bundle]);
  const cfg = JSON.parse(await readFile(path.join(bundle, 'config.json'), 'utf8'));
  cfg.process.terminal = false;
  cfg.process.args = ['/bin/true'];
  cfg.process.rlimits = (cfg.process.rlimits ?? []).filter((r: { type: string }) => r.type !== 'RLIMIT_NOFILE');
  await writeFile(path.join(bundle, 'config.json'), JSON.stringify(cfg));
  return bundle;
}
