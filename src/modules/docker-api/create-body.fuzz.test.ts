// Any JSON as a create body: either a spec or a DockerError 400 (never another exception, which
// the server would answer as a 500).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { toContainerSpec } from './create-body.js';
import { configExtras, hostExtras } from './create-extra.js';
import { DockerError } from './errors.js';

const minutes = Number(process.env.LLMOS_FUZZ_MINUTES) || 0;
const runs = minutes ? { interruptAfterTimeLimit: minutes * 60_000, numRuns: Number.MAX_SAFE_INTEGER } : { numRuns: 3000 };

const fieldNames = ['Image', 'Cmd', 'Entrypoint', 'Env', 'User', 'WorkingDir', 'Labels', 'Tty', 'OpenStdin', 'ExposedPorts', 'Volumes', 'HostConfig', 'NetworkingConfig', 'Hostname', 'Healthcheck', 'StopTimeout'];
const hostNames = ['Binds', 'Mounts', 'NetworkMode', 'PortBindings', 'PublishAllPorts', 'RestartPolicy', 'AutoRemove', 'Memory', 'NanoCpus', 'CpuQuota', 'CpuPeriod', 'PidsLimit', 'ReadonlyRootfs', 'Init', 'LogConfig', 'Privileged', 'CapAdd', 'Tmpfs', 'OomScoreAdj', 'ContainerIDFile', 'CgroupnsMode'];
const value = fc.oneof(fc.jsonValue(), fc.constantFrom('', '/a:/b', 'x', '80/tcp', 'bridge', 'host'), fc.array(fc.string()), fc.dictionary(fc.string(), fc.jsonValue()));
// Mostly zero values (what the CLI sends), so that the valid paths are reached too.
const field = fc.oneof({ arbitrary: fc.constant(null), weight: 12 }, { arbitrary: fc.constantFrom('', 0, false, [], {}), weight: 2 }, { arbitrary: value, weight: 1 });
// Mounts as the CLI's --mount sends them, with their option objects (and hostile values in them).
const mount = fc.record(
  { Type: fc.oneof(fc.constantFrom('bind', 'volume', 'tmpfs', 'npipe'), value), Source: fc.oneof(fc.constantFrom('/srv', 'vol', ''), value), Target: fc.oneof(fc.constantFrom('/t', ''), value), ReadOnly: fc.oneof(fc.boolean(), value), BindOptions: fc.oneof(fc.record({ Propagation: fc.oneof(fc.constantFrom('rprivate', 'shared'), value) }, { requiredKeys: [] }), value), VolumeOptions: fc.oneof(fc.record({ NoCopy: fc.boolean() }, { requiredKeys: [] }), value), TmpfsOptions: fc.oneof(fc.record({ SizeBytes: fc.oneof(fc.integer(), value), Mode: fc.oneof(fc.integer(), value) }, { requiredKeys: [] }), value) },
  { requiredKeys: [] },
);
const body = fc.record(
  Object.fromEntries([
    ...fieldNames.map((k) => [k, field]),
    ['Image', fc.oneof({ arbitrary: fc.constant('img'), weight: 8 }, { arbitrary: value, weight: 1 })],
    ['HostConfig', fc.oneof({ arbitrary: fc.record({ ...Object.fromEntries(hostNames.map((k) => [k, field])), Mounts: fc.oneof({ arbitrary: fc.constant(null), weight: 3 }, { arbitrary: fc.array(mount, { maxLength: 3 }), weight: 2 }, { arbitrary: value, weight: 1 }) }, { requiredKeys: [] }), weight: 8 }, { arbitrary: value, weight: 1 })],
  ]),
  { requiredKeys: [] },
);

test('fuzz: create bodies are a spec or a 400', async () => {
  let specs = 0;
  let refusals = 0;
  const why = new Map<string, number>();
  await fc.assert(
    fc.asyncProperty(fc.oneof({ arbitrary: body, weight: 6 }, { arbitrary: fc.jsonValue(), weight: 1 }), fc.oneof({ arbitrary: fc.constant(null), weight: 4 }, { arbitrary: fc.constant('web'), weight: 2 }, { arbitrary: fc.string(), weight: 1 }), async (b, name) => {
      try {
        const s = await toContainerSpec(b, name, { freePort: async () => 40000 });
        assert.equal(typeof s.image, 'string');
        specs++;
      } catch (e) {
        if (!(e instanceof DockerError) || e.status !== 400) throw e;
        refusals++;
        const k = e.message.replace(/["{].*$/, '').slice(0, 40);
        why.set(k, (why.get(k) ?? 0) + 1);
      }
    }),
    runs,
  );
  assert.ok(refusals > 0);
  process.stdout.write(`# create-body fuzz: ${specs} specs, ${refusals} refusals; top reasons: ${[...why].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, n]) => `${k} (${n})`).join('; ')}\n`);
});

test('fuzz: the optional-field mappers (used once the contract has the fields) are a value or a 400', () => {
  const all = { ...configExtras, ...hostExtras };
  let ok = 0;
  fc.assert(
    fc.property(fc.constantFrom(...Object.keys(all)), value, (k, v) => {
      try {
        all[k]![1](v, k);
        ok++;
      } catch (e) {
        if (!(e instanceof DockerError) || e.status !== 400) throw e;
      }
    }),
    runs,
  );
  assert.ok(ok > 0);
});
