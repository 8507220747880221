/**
 * A catalog no client could decode (over the bundle limits readers apply) is refused at import,
 * before its content is encoded, with how many ads of its shape fit, and nothing is published.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ContentEncoder } from '@privads/encoder';
import { ProtocolError } from '@privads/protocol';
import { openStore, publishCatalog, resolveConfig } from '../src/index.js';

/** An encoder a refused catalog must never reach. */
const untouchable = (dim: number): ContentEncoder => ({
  id: 'untouchable',
  dim,
  async encode() {
    throw new Error('the content of a refused catalog was encoded');
  },
  async dispose() {},
});

describe('catalog size at import', () => {
  it('refuses a bundle over 512 MiB with OVERSIZE before encoding, and publishes nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'privads-size-'));
    // 4096-d content (f16) and projected (int8) vectors: about 12 KB per ad, so 50,000 ads overflow.
    const config = resolveConfig({
      projector: { contentDim: 4096, userDim: 4096 },
      catalog: { contentEncoding: 'f16' },
    });
    const store = await openStore({ kind: 'embedded', dataDir: dir }, config);
    try {
      const ads = Array.from({ length: 50_000 }, (_, i) => ({
        id: `ad-${i}`,
        title: `Ad ${i}`,
        url: `https://ads.example/${i}`,
        advertiser: 'adv',
        category: 'news',
        text: `Ad ${i}`,
      }));
      const refused = await publishCatalog(store, ads, untouchable(4096), config).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refused).toBeInstanceOf(ProtocolError);
      expect((refused as ProtocolError).code).toBe('OVERSIZE');
      const fit = Number(/about (\d+) ads of this shape/.exec((refused as Error).message)?.[1]);
      expect(fit).toBeGreaterThan(40_000);
      expect(fit).toBeLessThan(50_000);
      expect(await store.latest('catalog')).toBeUndefined();
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
