#!/usr/bin/env node
// Makes `npx llmos` work inside this checkout: npm links the bins of dependencies into
// node_modules/.bin, but not the project's own.
import { mkdirSync, rmSync, symlinkSync } from 'node:fs';
mkdirSync('node_modules/.bin', { recursive: true });
rmSync('node_modules/.bin/llmos', { force: true });
symlinkSync('../../bin/llmos', 'node_modules/.bin/llmos');
