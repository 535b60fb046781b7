// Human output as aligned tables; machine output as JSON (--json / -o json).
import { formatBytes } from '../kernel/quantity.js';

export interface Column<T> {
  header: string;
  get: (row: T) => unknown;
  align?: 'left' | 'right';
}

export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => fmt(c.get(r))));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const line = (vals: string[]) =>
    vals.map((v, i) => (columns[i]!.align === 'right' ? v.padStart(widths[i]!) : i === vals.length - 1 ? v : v.padEnd(widths[i]!))).join('   ').trimEnd();
  return [line(columns.map((c) => c.header)), ...cells.map(line)].join('\n');
}

function fmt(v: unknown): string {
  if (v === undefined || v === null) return '-';
  if (Array.isArray(v)) return v.length ? v.join(',') : '-';
  return String(v);
}

/** Sizes: the formatter the dashboard shows too (kernel/quantity.ts). */
export const bytes = (n: number | undefined): string => formatBytes(n);

export function ago(iso: string | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

export function printJson(data: unknown): void {
  process.stdout.write(JSON.stringify(data, null, 2) + '\n');
}
