/**
 * The client's IndexedDB store in Chromium: downloads larger than one IndexedDB value (Chromium
 * refuses values over 127 MiB; a million-ad catalog is about 500 MB) are cached in parts, read
 * back byte for byte, evicted with their parts, and never read back incomplete.
 */
import { expect, test } from '@playwright/test';

test('a download larger than one IndexedDB value is cached in parts and read back whole', async ({
  page,
}) => {
  await page.goto('/client/store.html');
  await page.waitForFunction(() => window.idbStore !== undefined);
  const result = await page.evaluate(async () => {
    const { open, partBytes } = window.idbStore;
    const name = `store-${Date.now()}`;
    const store = await open(name);
    // 140 MB: over Chromium's largest value, three parts of 64 MiB.
    const size = 140_000_000;
    const pattern = (seed: number): ArrayBuffer => {
      const bytes = new Uint8Array(size);
      for (let i = 0; i < size; i += 4093) bytes[i] = (i * seed) & 255;
      bytes[size - 1] = seed;
      return bytes.buffer;
    };
    const same = (a: ArrayBuffer | undefined, b: ArrayBuffer): boolean => {
      if (a === undefined || a.byteLength !== b.byteLength) return false;
      const x = new Uint8Array(a);
      const y = new Uint8Array(b);
      for (let i = 0; i < x.length; i += 4093) if (x[i] !== y[i]) return false;
      return x[x.length - 1] === y[y.length - 1];
    };
    const raw = async <T>(run: (db: IDBDatabase) => Promise<T>): Promise<T> => {
      const db = await new Promise<IDBDatabase>((resolve, reject) => {
        const request = indexedDB.open(name);
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
      try {
        return await run(db);
      } finally {
        db.close();
      }
    };
    const count = (storeName: string): Promise<number> =>
      raw(
        (db) =>
          new Promise((resolve) => {
            const request = db.transaction(storeName).objectStore(storeName).count();
            request.onsuccess = () => resolve(request.result);
          }),
      );

    const first = pattern(3);
    await store.putBlob('catalog', '1', first);
    const parts = await count('blobParts');
    const back = same(await store.getBlob('catalog', '1'), first);
    await store.putBlob('projector', '1', new Uint8Array([1, 2, 3]).buffer);
    const small = new Uint8Array((await store.getBlob('projector', '1')) ?? new ArrayBuffer(0));

    // Two more versions: the first is evicted with its parts (two versions kept per kind).
    await store.putBlob('catalog', '2', pattern(5));
    await store.putBlob('catalog', '3', pattern(7));
    const evicted = (await store.getBlob('catalog', '1')) === undefined;
    const partsAfterEviction = await count('blobParts');
    const third = same(await store.getBlob('catalog', '3'), pattern(7));

    // A lost part: the blob reads as not cached, never as shorter bytes.
    await raw(
      (db) =>
        new Promise<void>((resolve) => {
          const tx = db.transaction('blobParts', 'readwrite');
          tx.objectStore('blobParts').delete(['catalog', '3', 1]);
          tx.oncomplete = () => resolve();
        }),
    );
    const incomplete = (await store.getBlob('catalog', '3')) === undefined;
    await store.clear();
    const partsAfterClear = await count('blobParts');
    store.close();
    return {
      partBytes,
      parts,
      back,
      small: Array.from(small),
      evicted,
      partsAfterEviction,
      third,
      incomplete,
      partsAfterClear,
    };
  });
  expect(result).toEqual({
    partBytes: 64 * 1024 * 1024,
    parts: 3,
    back: true,
    small: [1, 2, 3],
    evicted: true,
    partsAfterEviction: 6,
    third: true,
    incomplete: true,
    partsAfterClear: 0,
  });
});
