/** Types of `json-client.mjs` (plain JavaScript, so that benchmarks run without a build). */
export declare function jsonClient(
  send: (path: string, init: RequestInit) => Promise<Response>,
): (path: string, body?: unknown) => Promise<unknown>;
