#!/usr/bin/env node
// `npm run test:unit`: the unit tests beside the code (dist/src/**/*.test.js, after tsc), without
// the fuzz suites and without the end-to-end suites of test/. They need no root and no host
// package (runc, CNI, iptables, a registry): a quick check while working; `npm test` is the full
// suite. Extra arguments filter by path substring, as in scripts/test.mjs.
import { runTests } from './test-runner.mjs';

runTests({ roots: ['dist/src'], keep: (p) => !p.endsWith('.fuzz.test.js'), reporter: 'dot', sort: true, missing: 'no unit test files found (did tsc run?)' });
