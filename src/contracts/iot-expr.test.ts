// The --when / --on-device language: table of expressions with their values, and refusals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExprError, evalExpr, exprNames, matchSelector, parseExpr, parseSelector } from './iot-expr.js';

test('expressions evaluate against the device values', () => {
  const v = { temperature: 31, mode: 'heat', on: true, humidity: 40 };
  const cases: Array<[string, boolean]> = [
    ['temperature > 30', true],
    ['temperature > 31', false],
    ['temperature >= 31', true],
    ['temperature > 30 && mode == "heat"', true],
    ["mode == 'cool' || humidity < 50", true],
    ['!(temperature > 30)', false],
    ['not on', false],
    ['temperature > 30 and humidity > 50', false],
    ['temperature > -5', true],
    ['missing > 3', false], // a missing value makes its comparison false
    ['missing != 3', false],
    ['mode > 3', false], // different types never compare
    ['on == true', true],
  ];
  for (const [src, want] of cases) {
    assert.equal(evalExpr(parseExpr(src), v), want, src);
  }
  assert.deepEqual([...exprNames(parseExpr('a > 1 && (b < 2 || !c)'))].sort(), ['a', 'b', 'c']);
});

test('bad expressions are refused with a reason, never evaluated', () => {
  for (const src of ['', 'temperature >', '> 3', '(a > 1', 'a > 1)', 'a === 1', 'process.exit()', 'a > 1; b', '"open', 'a >> 1', 'temperature-1 > 0', '('.repeat(40) + 'a' + ')'.repeat(40), 'x'.repeat(2000)])
    assert.throws(() => parseExpr(src), ExprError, src);
});

test('selectors match model, name, node and labels', () => {
  const d = { name: 't1', model: 'thermometer', node: '', labels: { room: 'lab' } };
  assert.equal(matchSelector(parseSelector('model=thermometer'), d), true);
  assert.equal(matchSelector(parseSelector('model=thermometer,room=lab'), d), true);
  assert.equal(matchSelector(parseSelector('room!=lab'), d), false);
  assert.equal(matchSelector(parseSelector('name=t2'), d), false);
  assert.equal(matchSelector(parseSelector('floor!=2'), d), true);
  for (const s of ['', 'model', 'model==x', 'a=b,,', 'a=b c']) assert.throws(() => parseSelector(s), ExprError, s);
});
