/** What the conformance worker reports. */
export interface ConformanceReport {
  /** Engine requested. */
  readonly engine: string;
  /** Engine actually created (after the resolver). */
  readonly created?: string;
  /** The resolver's decisions. */
  readonly decisions: readonly { name: string; status: string; reason: string }[];
  /** One entry per case. */
  readonly cases: readonly { name: string; ok: boolean; error?: string }[];
  /** Set when the engine could not be created at all. */
  readonly error?: string;
}

declare global {
  interface Window {
    conformance?: ConformanceReport;
  }
}
