// Pure decisions for garbage collection: when disk pressure calls for a sweep, and which
// interrupted downloads are too old to keep for resuming.

export interface GcPolicy {
  /** Sweep when free space on the data filesystem falls below this fraction (0..1). */
  minFreeRatio: number;
  /** ...or below this many bytes. */
  minFreeBytes: number;
  /** Keep partial downloads (for resume) this long. */
  ingestMaxAgeMs: number;
}

export function underPressure(disk: { freeBytes: number; totalBytes: number }, p: GcPolicy): boolean {
  if (disk.totalBytes <= 0) return false;
  return disk.freeBytes < p.minFreeBytes || disk.freeBytes / disk.totalBytes < p.minFreeRatio;
}

export function staleIngest(nowMs: number, mtimeMs: number, p: GcPolicy, pressure: boolean): boolean {
  return pressure || nowMs - mtimeMs > p.ingestMaxAgeMs;
}

/** What a sweep removes: everything in `have` that no root references. */
export function unreferenced(have: readonly string[], referenced: ReadonlySet<string>): string[] {
  return have.filter((x) => !referenced.has(x));
}
