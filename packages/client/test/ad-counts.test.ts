import { describe, expect, it } from 'vitest';
import { popularityBias } from '@privads/model/popularity';
import {
  adListChecksum,
  decodeCatalogBundle,
  encodeCatalogBundle,
  type AdCountsQuery,
  type CatalogPopularity,
} from '@privads/protocol';
import { tallyAdCounts } from '../src/worker/ad-counts.js';
import { LoadedCatalog } from '../src/worker/catalog.js';
import type { EventRecord } from '../src/store/records.js';

function catalog(popularity?: CatalogPopularity): LoadedCatalog {
  const count = 4;
  return new LoadedCatalog(
    decodeCatalogBundle(
      encodeCatalogBundle({
        catalogVersion: 3,
        projectorVersion: 1,
        encoderId: 'test',
        contentDim: 2,
        userDim: 2,
        projected: Float32Array.from({ length: count * 2 }, (_, i) => Math.cos(i)),
        content: new Float32Array(count * 2).fill(0.5),
        ads: Array.from({ length: count }, (_, i) => ({
          id: `ad-${i}`,
          title: `Ad ${i}`,
          url: `https://x.example/${i}`,
          advertiser: 'a',
          category: 'c',
        })),
        ...(popularity ? { popularity } : {}),
      }),
    ),
  );
}

const query = (ids: string[]): AdCountsQuery => ({
  catalogVersion: 3,
  adCount: ids.length,
  adsChecksum: adListChecksum(ids),
  maxImpressions: 10,
  maxClicks: 2,
  scale: 0.1,
});

const events: EventRecord[] = [
  { kind: 'impression', t: 1, adIds: ['ad-0', 'ad-1', 'ad-9'] },
  { kind: 'impression', t: 2, adIds: ['ad-1', 'ad-2'] },
  { kind: 'click', t: 3, adId: 'ad-1', slate: ['ad-0', 'ad-1'] },
  { kind: 'hide', t: 4, adId: 'ad-2' },
];

describe('tallyAdCounts', () => {
  it('counts impressions and clicks per ad of the round catalog, ignoring unknown ads and other events', () => {
    const ids = ['ad-0', 'ad-1', 'ad-2', 'ad-3'];
    const counts = tallyAdCounts(events, catalog(), query(ids));
    expect(Array.from(counts.impressions)).toEqual([1, 2, 1, 0]);
    expect(Array.from(counts.clicks)).toEqual([0, 1, 0, 0]);
  });

  it('reports zeros when the round counts another ad list (same length, other order)', () => {
    const counts = tallyAdCounts(events, catalog(), query(['ad-1', 'ad-0', 'ad-2', 'ad-3']));
    expect(Array.from(counts.impressions)).toEqual([0, 0, 0, 0]);
    expect(Array.from(counts.clicks)).toEqual([0, 0, 0, 0]);
  });
});

describe('LoadedCatalog popularity bias', () => {
  it('adds w · prior to every score the ranking uses, and nothing without released counts', () => {
    const clicks = Float32Array.of(5, 0, 1, 20);
    const popularity = {
      clicks,
      impressions: Float32Array.of(50, 10, 10, 60),
      weight: 0.3,
      smoothing: 1,
      rounds: 2,
      sigma: 4,
    };
    const plain = catalog();
    const withPrior = catalog(popularity);
    const bias = popularityBias(popularity);
    expect(plain.bias).toBeUndefined();
    expect(Array.from(withPrior.bias ?? [])).toEqual(Array.from(bias));
    const q = Float32Array.of(0.6, 0.8);
    for (let i = 0; i < 4; i++) {
      expect(withPrior.scoreOf(i, q)).toBeCloseTo(plain.scoreOf(i, q) + (bias[i] as number), 6);
    }
    expect(catalog({ ...popularity, weight: 0 }).bias).toBeUndefined();
  });
});
