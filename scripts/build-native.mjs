#!/usr/bin/env node
// Compiles the native helpers (native/*.c) into dist/native/: today the seccomp launcher the
// function-host processes are spawned through. gcc comes from scripts/install-host-deps.sh; without
// it (or off x86_64) the build warns and the daemon runs its hosts without the filter, saying so.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import os from 'node:os';

const out = 'dist/native';
mkdirSync(out, { recursive: true });
if (os.arch() !== 'x64') {
  console.warn(`build-native: ${os.arch()} is not x86_64: dist/native/seccomp-exec not built (function hosts run without seccomp)`);
  process.exit(0);
}
try {
  execFileSync('gcc', ['--version'], { stdio: 'ignore' });
} catch {
  console.warn('build-native: gcc not found: dist/native/seccomp-exec not built (function hosts run without seccomp); run scripts/install-host-deps.sh');
  process.exit(0);
}
// A compile error is a build failure: the source is ours.
execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', `${out}/seccomp-exec`, 'native/seccomp-exec.c'], { stdio: 'inherit' });
