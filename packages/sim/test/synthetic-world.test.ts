import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSyntheticWorld, SYNTHETIC_TOPICS } from '@privads/sim';

const norm = (v: Float64Array): number => Math.hypot(...v);

describe('createSyntheticWorld', () => {
  it('is deterministic for a seed and independent of the population size', () => {
    const a = createSyntheticWorld({ seed: 9, users: 100, ads: 50 });
    const b = createSyntheticWorld({ seed: 9, users: 100_000, ads: 50 });
    expect(a.ads.map((ad) => ad.text)).toEqual(b.ads.map((ad) => ad.text));
    expect(a.user(42).interestsAt(0.5)).toEqual(b.user(42).interestsAt(0.5));
    const c = createSyntheticWorld({ seed: 10, users: 100, ads: 50 });
    expect(c.ads.map((ad) => ad.text)).not.toEqual(a.ads.map((ad) => ad.text));
  });

  it("writes ad text from the ad's own topic vocabulary", () => {
    const world = createSyntheticWorld({ seed: 1, users: 10, ads: 300 });
    for (const ad of world.ads) {
      const topic = SYNTHETIC_TOPICS.find((t) => t.name === ad.category)!;
      const words = ad.text.toLowerCase().replace('.', '').split(' ');
      const fromTopic = words.filter((w) => topic.words.includes(w)).length;
      expect(fromTopic, ad.text).toBeGreaterThanOrEqual(3);
      expect(norm(ad.topicWeights)).toBeCloseTo(1, 12);
    }
    const categories = new Set(world.ads.map((ad) => ad.category));
    expect(categories.size).toBe(SYNTHETIC_TOPICS.length);
  });

  it('makes users sparse mixtures of archetypes with unit-norm interests', () => {
    const world = createSyntheticWorld({ seed: 3, users: 1000, drift: 0 });
    const maxTopics = world.options.maxArchetypesPerUser * world.options.topicsPerArchetype;
    for (let i = 0; i < 200; i++) {
      const w = world.user(i).interestsAt(0);
      expect(norm(w)).toBeCloseTo(1, 12);
      const active = w.filter((x) => x > 0).length;
      expect(active).toBeGreaterThanOrEqual(1);
      expect(active).toBeLessThanOrEqual(maxTopics);
    }
  });

  it('drifts interests over a history, and not at all with drift 0', () => {
    const drifting = createSyntheticWorld({ seed: 4, users: 100, drift: 0.5 });
    const moved = Array.from({ length: 50 }, (_, i) => {
      const u = drifting.user(i);
      return u.interestsAt(0).some((x, t) => Math.abs(x - u.interestsAt(1)[t]!) > 1e-9);
    });
    expect(moved.filter(Boolean).length).toBeGreaterThan(25);
    const still = createSyntheticWorld({ seed: 4, users: 100, drift: 0 }).user(7);
    expect(still.interestsAt(1)).toEqual(still.interestsAt(0));
  });

  it('clicks more on closer ads and on higher positions', () => {
    const world = createSyntheticWorld({ seed: 5, users: 10 });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9 }),
        fc.integer({ min: 0, max: 999 }),
        (u, adIndex) => {
          const w = world.user(u).interestsAt(0);
          const ad = world.ads[adIndex]!;
          const p0 = world.clickProbability(w, ad, 0);
          const p3 = world.clickProbability(w, ad, 3);
          return p0 > p3 && p0 > 0 && p0 < 1;
        },
      ),
    );
    const w = world.user(0).interestsAt(0);
    const sorted = [...world.ads].sort((a, b) => world.affinity(w, b) - world.affinity(w, a));
    const best = world.clickProbability(w, sorted[0]!, 0);
    const worst = world.clickProbability(w, sorted.at(-1)!, 0);
    expect(best).toBeGreaterThan(0.4);
    expect(worst).toBeLessThan(0.05);
  });

  it('generates any of 100,000 users on demand', () => {
    const world = createSyntheticWorld({ seed: 6, users: 100_000 });
    expect(norm(world.user(99_999).interestsAt(1))).toBeCloseTo(1, 12);
    expect(() => world.user(100_000)).toThrow(/got 100000/);
  });

  it('rejects bad options with the value in the message', () => {
    expect(() => createSyntheticWorld({ seed: 1, users: 0 })).toThrow(/users .* got 0/);
    expect(() => createSyntheticWorld({ seed: 1, users: 5, drift: 2 })).toThrow(/drift .* got 2/);
    expect(() => createSyntheticWorld({ seed: 1, users: 5, topicsPerArchetype: 99 })).toThrow(
      RangeError,
    );
  });
});
