/**
 * `@privads/client/pq` — ranking a product-quantised catalog of up to millions of ads (see
 * `docs/api.md`). A separate entry so that the main entry the publisher's page imports stays tiny:
 * only code that ranks a PQ index, usually a worker, loads this.
 */
export { PqSearcher, type PqSearchOptions } from './engines/pq-searcher.js';
export type { TopK } from './engines/engine.js';
