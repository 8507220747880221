/** What the WebGPU probe worker reports to its page (and the page to Playwright). */
export type WebGpuProbeResult =
  | { readonly adapter: false; readonly reason: string }
  | {
      readonly adapter: true;
      readonly architecture: string;
      readonly vendor: string;
      readonly isFallbackAdapter: boolean;
      /** Output of the compute shader for the input `[0, 1, …, n-1]`: each value is `2x + 1`. */
      readonly output: number[];
    };

declare global {
  interface Window {
    /** Set by the probe page once the worker has answered. */
    webGpuProbe?: WebGpuProbeResult;
  }
}
