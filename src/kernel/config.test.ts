import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseConfigFile, readConfig, defaultConfig } from './config.js';

test('config: valid files parse; defaults fill the rest; overrides win', async () => {
  assert.deepEqual(parseConfigFile('{}', 'c'), {});
  const dir = await mkdtemp(path.join(os.tmpdir(), 'llmos-cfg-'));
  try {
    assert.deepEqual(await readConfig(dir), defaultConfig, 'no file: defaults');
    await writeFile(path.join(dir, 'config.json'), JSON.stringify({ listen: '[::1]:7071', reserved: { cpu: 250 }, modules: { dashboard: { enabled: false, extra: 1 } } }));
    const c = await readConfig(dir, { listen: undefined, gateway: '127.0.0.1:9' });
    assert.equal(c.listen, '[::1]:7071');
    assert.equal(c.gateway, '127.0.0.1:9');
    assert.deepEqual(c.reserved, { cpu: 250, memory: defaultConfig.reserved.memory });
    assert.deepEqual(c.modules.dashboard, { enabled: false, extra: 1 });
    assert.ok(Object.isFrozen(c));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('config: each bad field is named in one line', () => {
  const cases: Array<[string, RegExp]> = [
    ['[', /c: not valid JSON/],
    ['[]', /\(top level\): .*object/],
    ['"x"', /\(top level\)/],
    ['{"listen": 7070}', /^c: listen: /],
    ['{"gateway": "host"}', /^c: gateway: expected HOST:PORT/],
    ['{"reserved": {"cpu": -1}}', /^c: reserved\.cpu: /],
    ['{"reserved": {"memory": 1e308}}', /^c: reserved\.memory: /],
    ['{"reserved": {"cpus": 1}}', /^c: reserved: .*cpus/],
    ['{"modules": {"images": []}}', /^c: modules\.images: /],
    ['{"modules": {"images": {"enabled": 1}}}', /^c: modules\.images\.enabled: /],
    ['{"modules": 3}', /^c: modules: /],
    ['{"listn": "a:1"}', /^c: \(top level\): .*listn/],
  ];
  for (const [text, re] of cases) {
    assert.throws(() => parseConfigFile(text, 'c'), (e: Error) => {
      assert.equal(e.name, 'InvalidArgument');
      assert.match(e.message, re, text);
      assert.ok(!e.message.includes('\n'), 'one line');
      return true;
    }, text);
  }
});
