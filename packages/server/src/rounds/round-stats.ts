/**
 * Per-round operator statistics kept by the instance that serves the uploads: refusals by reason
 * and a ten-bucket histogram of accepted update norms relative to the round's clip norm. Constant
 * memory per round whatever the cohort size.
 */
import type { RoundStats } from '../store/store.js';

/** Upper bounds of the norm histogram, as fractions of the clip norm C. */
export const NORM_BUCKETS_OF_CLIP: readonly number[] = [
  0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.1,
];

/** Statistics of one open round. */
export class RoundStatsCollector {
  readonly #bounds: number[];
  readonly #counts: number[];
  readonly #rejected: Record<string, number> = {};
  #accepted = 0;

  /** @param clipNorm - the round's C (> 0) */
  constructor(clipNorm: number) {
    this.#bounds = NORM_BUCKETS_OF_CLIP.map((f) => f * clipNorm);
    this.#counts = new Array<number>(this.#bounds.length + 1).fill(0);
  }

  /** @param norm - L2 norm of an accepted upload as received */
  accepted(norm: number | undefined): void {
    this.#accepted += 1;
    // A masked upload (distributed mode) has no norm the server could read.
    if (norm === undefined) return;
    let i = this.#bounds.findIndex((b) => norm <= b);
    if (i < 0) i = this.#bounds.length;
    this.#counts[i] = (this.#counts[i] as number) + 1;
  }

  /** Uploads this instance accepted into the round. */
  get acceptedCount(): number {
    return this.#accepted;
  }

  /** @param reason - the error code of a refused upload */
  rejected(reason: string): void {
    this.#rejected[reason] = (this.#rejected[reason] ?? 0) + 1;
  }

  /** @returns a copy of the statistics so far */
  snapshot(): RoundStats {
    return {
      rejected: { ...this.#rejected },
      normHistogram: { bounds: [...this.#bounds], counts: [...this.#counts] },
    };
  }
}
