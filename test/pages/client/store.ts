import { BLOB_PART_BYTES, openIdbStore } from '../../../packages/client/src/store/idb-store.js';

declare global {
  interface Window {
    /** The client's IndexedDB store and its part size, for tests that drive it directly. */
    idbStore: { open: typeof openIdbStore; partBytes: number };
  }
}

window.idbStore = { open: openIdbStore, partBytes: BLOB_PART_BYTES };
