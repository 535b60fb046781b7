// `llmos up`: boot the kernel in the foreground, print the boot timeline, shut down on a signal.
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { builtinRegistry, requiredModules } from './builtins.js';
import { Kernel, type KernelStatus } from './kernel/kernel.js';
import { createLogger } from './kernel/log.js';
import { defaultDataDir } from './paths.js';

export interface DaemonOptions {
  dataDir?: string;
  listen?: string;
  gateway?: string;
  logLevel?: string;
  /** Process start, so the timeline counts Node's own start-up too. */
  t0?: number;
}

export async function startDaemon(opts: DaemonOptions): Promise<{ kernel: Kernel; status: KernelStatus }> {
  const dataDir = path.resolve(opts.dataDir ?? process.env.LLMOS_DATA_DIR ?? defaultDataDir());
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const log = createLogger({ file: path.join(dataDir, 'llmos.log'), level: opts.logLevel ?? process.env.LLMOS_LOG_LEVEL ?? 'info' });
  const kernel = new Kernel({
    dataDir,
    registry: builtinRegistry(),
    log,
    required: requiredModules,
    t0: opts.t0 ?? 0, // performance.now() counts from process start
    config: { listen: opts.listen ?? process.env.LLMOS_LISTEN, gateway: opts.gateway ?? process.env.LLMOS_GATEWAY },
  });
  const status = await kernel.boot();
  return { kernel, status };
}

export function formatTimeline(status: KernelStatus): string {
  const lines = status.boot.stages.map((s, i) => `  ${i + 1}. ${s.stage.padEnd(22)} ${s.durationMs.toFixed(1).padStart(7)} ms  ${s.detail ?? ''}`);
  const mods = status.modules.map((m) => `${m.name}${m.state === 'loaded' ? '' : ` (${m.state}: ${m.reason})`}`);
  return [`LLMOS booted in ${status.boot.totalMs.toFixed(1)} ms (since process start)`, ...lines, `  modules: ${mods.join(', ')}`].join('\n');
}

/** Runs until SIGINT/SIGTERM, then stops modules in reverse order. */
export async function runDaemon(opts: DaemonOptions): Promise<void> {
  const { kernel, status } = await startDaemon(opts);
  const api = status.modules.find((m) => m.name === 'api');
  process.stdout.write(formatTimeline(status) + `\n  API on http://${api?.exports.address ?? '?'}  (token in ${path.join(kernel.dataDir, 'token')})\n`);
  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      process.stdout.write(`\n${sig}: shutting down\n`);
      kernel.shutdown().finally(resolve);
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
}
