import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SseReader, errorAnswer, parseAnswer } from './http-wire.js';

test('errorAnswer: the error field and code, then message, then the plain text; nothing for an empty body', () => {
  assert.deepEqual(errorAnswer('{"error":"no such container: x","code":"E_NOT_FOUND"}'), { message: 'no such container: x', code: 'E_NOT_FOUND' });
  assert.deepEqual(errorAnswer('{"message":"Route GET:/v1/x not found","statusCode":404}'), { message: 'Route GET:/v1/x not found', code: undefined });
  assert.deepEqual(errorAnswer('{"statusCode":500}'), { message: '{"statusCode":500}', code: undefined });
  assert.deepEqual(errorAnswer('Bad Gateway'), { message: 'Bad Gateway' });
  assert.deepEqual(errorAnswer('null'), { message: 'null' });
  assert.deepEqual(errorAnswer(''), { message: undefined });
});

test('parseAnswer: JSON, else text, else undefined', () => {
  assert.deepEqual(parseAnswer('{"a":1}'), { a: 1 });
  assert.equal(parseAnswer('plain'), 'plain');
  assert.equal(parseAnswer(''), undefined);
});

test('SseReader: events split across chunks, named events, multi-line data, CRLF, comments ignored', () => {
  const r = new SseReader();
  assert.deepEqual(r.push('event: log\ndata: {"text"'), []);
  assert.deepEqual(r.push(':"a"}\n\n: keep-alive\n\ndata: one\r\ndata: two\r\n\r\n'), [
    { event: 'log', data: '{"text":"a"}' },
    { event: undefined, data: 'one\ntwo' },
  ]);
  assert.deepEqual(r.push('data:x\n'), [], 'incomplete until the blank line');
  assert.deepEqual(r.push('\n'), [{ event: undefined, data: 'x' }]);
});
