// What users read about a container: its status line ("Up 3 minutes", "Exited (1) 5 seconds ago")
// and signal names as runc takes them.
import os from 'node:os';
import type { ContainerRecord } from './records.js';
import { InvalidArgument } from '../../kernel/errors.js';

export const userStopSignals = new Set(['KILL', 'TERM', 'INT', 'QUIT', '9', '15', '2', '3']);

export function normalizeSignal(sig: string | undefined, fallback = 'KILL'): string {
  const s = (sig ?? fallback).toUpperCase().replace(/^SIG/, '');
  if (/^\d+$/.test(s)) {
    if (Number(s) < 1 || Number(s) > 64) throw new InvalidArgument(`invalid signal ${sig}`);
    return s;
  }
  if (!(`SIG${s}` in os.constants.signals)) throw new InvalidArgument(`invalid signal ${sig}`);
  return s;
}

export function statusText(rec: Pick<ContainerRecord, 'state' | 'startedAt' | 'finishedAt' | 'exitCode' | 'restartAt'>, now: number): string {
  const since = (iso?: string) => humanDuration(now - Date.parse(iso ?? new Date(now).toISOString()));
  switch (rec.state) {
    case 'created':
      return 'Created';
    case 'starting':
      return 'Starting';
    case 'running':
      return `Up ${since(rec.startedAt)}`;
    case 'stopping':
      return `Stopping (up ${since(rec.startedAt)})`;
    default:
      if (rec.restartAt) return `Restarting (${rec.exitCode ?? '?'}) ${since(rec.finishedAt)} ago`;
      return rec.state === 'failed' ? `Failed ${since(rec.finishedAt)} ago` : `Exited (${rec.exitCode ?? '?'}) ${since(rec.finishedAt)} ago`;
  }
}

export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 1) return 'less than a second';
  if (s < 60) return `${s} second${s === 1 ? '' : 's'}`;
  const m = Math.round(s / 60);
  if (m < 60) return `${m} minute${m === 1 ? '' : 's'}`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} hour${h === 1 ? '' : 's'}`;
  return `${Math.round(h / 24)} days`;
}
