// What garbage collection keeps: every blob and snapshot an image record or a container's root
// filesystem references; everything else in the stores is unreferenced.
import type { StoredImage } from './stored-image.js';

export function references(images: readonly StoredImage[], rootfses: ReadonlyArray<{ chain: readonly string[] }>): { blobs: Set<string>; snapshots: Set<string> } {
  const blobs = new Set<string>();
  const snapshots = new Set<string>();
  for (const i of images) {
    // The config blob (the id) and the manifest (the digest) are blobs too.
    blobs.add(i.id);
    blobs.add(i.digest);
    for (const b of i.blobs) blobs.add(b.digest);
    for (const c of i.chainIds) snapshots.add(c);
  }
  for (const r of rootfses) for (const c of r.chain) snapshots.add(c);
  return { blobs, snapshots };
}
