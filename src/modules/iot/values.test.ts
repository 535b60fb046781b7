// Twin and telemetry values against the thermometer model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PropertyDef } from '../../contracts/iot.js';
import { checkModel, checkObject, checkValue } from './values.js';

const props: PropertyDef[] = [
  { name: 'temperature', type: 'number', unit: 'C', min: -40, max: 125, access: 'read' },
  { name: 'setpoint', type: 'number', min: 5, max: 35, access: 'readwrite' },
  { name: 'mode', type: 'string', enum: ['off', 'heat', 'cool'], access: 'readwrite' },
  { name: 'count', type: 'integer', access: 'read' },
  { name: 'on', type: 'boolean', access: 'readwrite' },
];
const p = (n: string) => props.find((x) => x.name === n)!;

test('values from devices must have the exact type and be in range', () => {
  assert.deepEqual(checkValue(p('temperature'), 20.5), { ok: true, value: 20.5 });
  assert.equal(checkValue(p('temperature'), 126).ok, false);
  assert.equal(checkValue(p('temperature'), -41).ok, false);
  assert.equal(checkValue(p('temperature'), '20').ok, false);
  assert.equal(checkValue(p('temperature'), Number.NaN).ok, false);
  assert.equal(checkValue(p('count'), 1.5).ok, false);
  assert.equal(checkValue(p('mode'), 'warm').ok, false);
  assert.equal(checkValue(p('on'), 1).ok, false);
});

test('values typed by users are converted first', () => {
  assert.deepEqual(checkValue(p('setpoint'), '20', { coerce: true }), { ok: true, value: 20 });
  assert.deepEqual(checkValue(p('on'), 'true', { coerce: true }), { ok: true, value: true });
  assert.equal(checkValue(p('setpoint'), '', { coerce: true }).ok, false);
  assert.equal(checkValue(p('setpoint'), '99', { coerce: true }).ok, false);
});

test('objects are all or nothing; read-only properties are not writable', () => {
  assert.deepEqual(checkObject(props, { setpoint: 20, mode: 'heat' }), { ok: true, values: { setpoint: 20, mode: 'heat' } });
  assert.equal(checkObject(props, { setpoint: 20, mode: 'warm' }).ok, false);
  assert.equal(checkObject(props, { humidity: 1 }).ok, false);
  assert.equal(checkObject(props, [1]).ok, false);
  assert.equal(checkObject(props, {}).ok, false);
  assert.match((checkObject(props, { temperature: 3 }, { writable: true }) as { reason: string }).reason, /read-only/);
  assert.equal(checkObject(props, { constructor: 1 }).ok, false);
});

test('model checks', () => {
  assert.equal(checkModel(props), undefined);
  assert.match(checkModel([p('mode'), p('mode')])!, /twice/);
  assert.match(checkModel([{ ...p('setpoint'), min: 9, max: 1 }])!, /above max/);
  assert.match(checkModel([{ ...p('mode'), min: 1 }])!, /min and max/);
  assert.match(checkModel([{ ...p('count'), enum: [1.5] }])!, /enum value/);
});
