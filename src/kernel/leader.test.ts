import { test } from 'node:test';
import assert from 'node:assert/strict';
import { holdsLeadership } from './leader.js';

test('a lease holder leads only while its last confirmed keepalive is younger than the TTL less the margin', () => {
  assert.equal(holdsLeadership({ elected: false, renewedSentAt: 1000 }, 3000, 1000), false);
  assert.equal(holdsLeadership({ elected: true }, 3000, 1000), false);
  assert.equal(holdsLeadership({ elected: true, renewedSentAt: 1000 }, 3000, 1000), true);
  assert.equal(holdsLeadership({ elected: true, renewedSentAt: 1000 }, 3000, 3699), true);
  assert.equal(holdsLeadership({ elected: true, renewedSentAt: 1000 }, 3000, 3700), false);
  assert.equal(holdsLeadership({ elected: true, renewedSentAt: 1000 }, 3000, 9000), false);
});
