import type { PrivAds, PrivAdsEventType } from '@privads/client';

/** One event as the harness records it. */
export interface RecordedEvent {
  readonly type: PrivAdsEventType;
  readonly detail: unknown;
}

declare global {
  interface Window {
    /** The instance under test (set by main.ts). */
    privads?: PrivAds;
    /** Every event the instance emitted, in order. */
    privadsEvents: RecordedEvent[];
    /** Creates `privads` from the query string (called at load unless `manual=1`). */
    startPrivAds: () => void;
    /** Absolute URLs of the default encoder's spec and onnxruntime-web's wasm, as the harness serves them. */
    encoderAssets: { readonly specUrl: string; readonly ortWasmPath: string };
    /** Errors that reached the page (must stay empty: PrivAds never throws into the page). */
    pageErrors: string[];
  }
}
