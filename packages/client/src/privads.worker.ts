/**
 * The PrivAds module worker: owns the catalog, the scoring engines, tfjs and the IndexedDB store,
 * and serves the page through comlink. Created by `createPrivAds` with
 * `new Worker(new URL('./privads.worker.js', import.meta.url), { type: 'module' })`.
 */
import { expose } from 'comlink';
import { PrivAdsCore } from './worker/core.js';

expose(new PrivAdsCore());
