/** Size bounds of secure-aggregation messages, enforced by the parsers before any work. */

/** Bounds of the JSON messages. */
export interface SecAggLimits {
  /** Largest slot number (and so largest cohort). */
  readonly maxSlot: number;
  /** Most entries in any list of a message (neighbours, shares, slots). */
  readonly maxNeighbours: number;
  /** Largest JSON text accepted, in characters. */
  readonly maxTextLength: number;
}

/** Default bounds: cohorts up to 2^20 devices, degrees up to 1024. */
export const SECAGG_DEFAULT_LIMITS: SecAggLimits = {
  maxSlot: 1 << 20,
  maxNeighbours: 1024,
  maxTextLength: 1 << 20,
};
