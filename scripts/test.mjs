#!/usr/bin/env node
// Runs every compiled test (dist/**/*.test.js) with Node's test runner.
// Tests that need root or host packages check for them and skip with a reason.
import { runTests } from './test-runner.mjs';

runTests({ roots: ['dist/src', 'dist/test'], reporter: 'spec', missing: 'no test files found (did the build run?)' });
