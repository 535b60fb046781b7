import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultName } from './lifecycle.js';

test("a container without a name: its image's last path part, without tag or digest, and the id's start", () => {
  const id = 'abcdef0123456789';
  assert.equal(defaultName('busybox', id), 'busybox-abcdef');
  assert.equal(defaultName('127.0.0.1:5000/team/web:1.2', id), 'web-abcdef');
  assert.equal(defaultName('reg/app@sha256:0123', id), 'app-abcdef');
  // Characters a name may not hold are dropped.
  assert.equal(defaultName('reg/we+b~x:1', id), 'webx-abcdef');
});
