/** One measured step of a device's part in a distributed round (milliseconds). */
export interface MaskBenchRow {
  readonly step: string;
  readonly p50: number;
  readonly min: number;
  readonly max: number;
  /** What the step does. */
  readonly note: string;
}

/** What the masking benchmark worker reports. */
export interface MaskBenchResult {
  readonly rows: readonly MaskBenchRow[];
  /** The X25519 backend `resolveKeyAgreement()` chose in this worker. */
  readonly keyAgreement?: string;
  readonly parameters?: Readonly<Record<string, number>>;
  readonly error?: string;
}

/** What the page asks the worker to measure. */
export interface MaskBenchRequest {
  readonly iterations: number;
  readonly neighbours: number;
}

declare global {
  interface Window {
    maskBenchResult?: MaskBenchResult;
  }
}
