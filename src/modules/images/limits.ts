// Bounds on what one image may hold, so a hostile image or archive cannot fill the disk or exhaust
// memory before it is refused.
import { InvalidArgument } from '../../kernel/errors.js';

/** What one image may hold (Docker refuses more than 127 layers too). */
export interface ImageLimits {
  maxLayers?: number;
  /** Bytes of uncompressed layer tar streams, all layers together. */
  maxImageBytes?: number;
}

export const DEFAULT_LIMITS: Required<ImageLimits> = { maxLayers: 127, maxImageBytes: 16 * 2 ** 30 };

/** Decompressed bytes of one image so far, shared by its layer jobs. */
export class SizeBudget {
  private used = 0;
  constructor(readonly max: number) {}
  add(n: number): void {
    this.used += n;
    if (this.used > this.max) throw new InvalidArgument(`image exceeds the decompressed size limit of ${this.max} bytes (images.maxImageBytes)`);
  }
}
