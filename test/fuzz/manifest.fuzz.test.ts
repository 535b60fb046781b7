// Fuzz the apply parser in-process (issue 13, suites (b)): manifests of every kind with plausible
// and hostile fields, as JSON documents and as YAML text, and YAML text built from the constructs
// that break parsers. Property: the parser returns objects whose numbers are finite and within
// their bounds, or throws InvalidArgument naming the problem; never another error, and each case
// finishes in bounded time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { InvalidArgument } from '../../src/kernel/errors.js';
import { MAX_CPU_MILLI, MAX_MEMORY_BYTES } from '../../src/kernel/quantity.js';
import { assertValid, parseDocuments, splitDocuments, type ParsedObject } from '../../src/modules/services/manifest.js';
import { runProperty } from './budget.js';
import { manifestObject, yamlText } from './manifest-arb.js';

/** Parses like /v1/apply does; returns the objects, or undefined when refused with InvalidArgument. */
function apply(text: string | unknown[]): ParsedObject[] | undefined {
  const t0 = performance.now();
  try {
    return assertValid(parseDocuments(typeof text === 'string' ? splitDocuments(text, 'manifest') : text));
  } catch (e) {
    assert.ok(e instanceof InvalidArgument, `threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    assert.ok((e as Error).message.length < 6000, 'the reason is a readable message');
    return undefined;
  } finally {
    assert.ok(performance.now() - t0 < 2000, `took ${Math.round(performance.now() - t0)} ms`);
  }
}

const inRange = (v: number | undefined, min: number, max: number, what: string) => v === undefined || assert.ok(Number.isFinite(v) && v >= min && v <= max, `${what} = ${v}`);

function checkBounds(objs: ParsedObject[]): void {
  for (const o of objs) {
    if (o.target.type === 'service') {
      const { spec } = o.target;
      inRange(spec.replicas, 0, 1000, 'replicas');
      inRange(spec.progressDeadlineSeconds, 1, 365 * 86_400, 'progressDeadlineSeconds');
      inRange(spec.template.cpus, 0, MAX_CPU_MILLI / 1000, 'cpus');
      inRange(spec.template.memory, 0, MAX_MEMORY_BYTES, 'memory');
      for (const p of spec.ports) {
        inRange(p.containerPort, 1, 65535, 'containerPort');
        inRange(p.hostPort, 1, 65535, 'hostPort');
      }
      for (const pr of [spec.template.readinessProbe, spec.template.livenessProbe])
        if (pr) for (const k of ['initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'successThreshold', 'failureThreshold'] as const) inRange(pr[k], 0, 86_400, k);
    }
    if (o.target.type === 'exposure') for (const p of o.target.value.ports) inRange(p.hostPort, 1, 65535, 'hostPort');
    if (o.target.type === 'autoscaler') {
      inRange(o.target.value.min, 0, 1000, 'minReplicas');
      inRange(o.target.value.max, 1, 1000, 'maxReplicas');
      for (const m of o.target.value.metrics) inRange(m.target, 0, 1e9, 'metric target');
    }
  }
}

test('fuzz: manifests as JSON documents parse to bounded objects or a 400 reason', async (t) => {
  let accepted = 0;
  const runs = await runProperty(
    fc.property(fc.array(manifestObject, { minLength: 1, maxLength: 3 }), (docs) => {
      const objs = apply(docs);
      if (!objs) return;
      accepted++;
      checkBounds(objs);
    }),
    2000,
    0.4,
  );
  t.diagnostic(`${runs} cases, ${accepted} accepted`);
  assert.ok(accepted > 0, 'some generated manifests are valid (the generator reaches past validation)');
});

test('fuzz: the same manifests as YAML text', async (t) => {
  const runs = await runProperty(
    fc.property(fc.array(manifestObject, { minLength: 1, maxLength: 3 }), (docs) => {
      let text: string;
      // Huge or deep values are the JSON test's job: yaml's stringify is slow on them (the test's cost, not the parser's).
      if (JSON.stringify(docs).length > 8000) return;
      try {
        text = docs.map((d) => stringify(d, { aliasDuplicateObjects: true })).join('---\n');
      } catch {
        return; // a value yaml itself cannot write out
      }
      const objs = apply(text);
      if (objs) checkBounds(objs);
    }),
    300,
    0.3,
  );
  t.diagnostic(`${runs} cases`);
});

test('fuzz: YAML text with anchors, aliases, tags and merge keys', async (t) => {
  const runs = await runProperty(
    fc.property(yamlText, (text) => {
      const objs = apply(text);
      if (objs) checkBounds(objs);
    }),
    3000,
    0.3,
  );
  t.diagnostic(`${runs} cases`);
});
