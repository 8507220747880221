import type { SerializedError } from '@privads/protocol';

/** Encoders the harness worker can build (see encoder.worker.ts for what each one loads). */
export type HarnessEncoderName =
  | 'default'
  | 'default-prefix'
  | 'tiny-wordpiece'
  | 'missing-model'
  | 'html-model'
  | 'corrupt-model'
  | 'wrong-dim'
  | 'wrong-input';

/** Page → worker. */
export interface HarnessRequest {
  readonly id: number;
  readonly encoder: HarnessEncoderName;
  readonly texts: readonly unknown[];
  /** Encode this many times and report the best time (benchmark mode). */
  readonly repeat?: number;
  /** Leave `vectors` empty in the response (benchmark mode: keeps large batches off the wire). */
  readonly omitVectors?: boolean;
}

/** Worker → page. */
export type HarnessResponse =
  | {
      readonly id: number;
      readonly ok: true;
      readonly encoderId: string;
      readonly dim: number;
      readonly vectors: number[];
      readonly truncated: readonly number[];
      /** Milliseconds of the fastest `encode` call (with `repeat`). */
      readonly bestMs: number;
      /** Milliseconds to create the encoder (fetch, wasm start, session). */
      readonly loadMs: number;
    }
  | {
      readonly id: number;
      readonly ok: false;
      readonly error: SerializedError & { readonly file?: string };
    };

declare global {
  interface Window {
    /** Set by the encoder harness page: runs one request in the module worker. */
    encoderHarness?: (request: Omit<HarnessRequest, 'id'>) => Promise<HarnessResponse>;
  }
}
