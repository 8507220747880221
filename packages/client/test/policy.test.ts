import { describe, expect, it } from 'vitest';
import type { TopK } from '../src/engines/engine.js';
import { resolvePolicy, type RankingPolicyOptions } from '../src/policy/options.js';
import { selectSlate, type SlateContext } from '../src/policy/select-slate.js';

/** Ten candidates scored 0.9, 0.8, …; advertisers a, a, b, b, c, c, … */
function candidates(n = 10): TopK {
  return {
    indices: Int32Array.from({ length: n }, (_, i) => i),
    scores: Float32Array.from({ length: n }, (_, i) => 0.9 - i / 10),
  };
}

function context(overrides: Partial<SlateContext> = {}): SlateContext {
  let seed = 1;
  return {
    slots: 3,
    catalogSize: 10,
    advertiserOf: (i) => String.fromCharCode(97 + Math.floor(i / 2)),
    impressionsOf: () => 0,
    isBlocked: () => false,
    scoreOf: (i) => 0.9 - i / 10,
    // A small LCG: deterministic, and independent of the order tests run in.
    random: () => ((seed = (seed * 48271) % 2147483647) - 1) / 2147483646,
    ...overrides,
  };
}

const pick = (options: RankingPolicyOptions, ctx: SlateContext = context()): number[] =>
  selectSlate(candidates(), resolvePolicy(options), ctx).map((p) => p.index);

describe('selectSlate', () => {
  it('takes the best ad of each advertiser by default (diversity 1 per advertiser)', () => {
    expect(pick({})).toEqual([0, 2, 4]);
  });

  it('takes the best ads regardless of advertiser when diversity is off', () => {
    expect(pick({ diversity: false })).toEqual([0, 1, 2]);
  });

  it('relaxes diversity only when the slots cannot be filled otherwise', () => {
    const ctx = context({ advertiserOf: () => 'same', slots: 3 });
    expect(pick({}, ctx)).toEqual([0, 1, 2]);
  });

  it('never breaks the frequency cap, even if the slate comes back short', () => {
    const ctx = context({ impressionsOf: (i) => (i < 8 ? 3 : 0) });
    expect(pick({ frequencyCap: { maxImpressions: 3, windowMs: 1000 } }, ctx)).toEqual([8, 9]);
    expect(pick({ frequencyCap: false }, ctx)).toEqual([0, 2, 4]);
  });

  it('skips ads the reader hid', () => {
    expect(pick({}, context({ isBlocked: (i) => i === 0 }))).toEqual([1, 2, 4]);
  });

  it('explores with ε-greedy: ε = 1 draws eligible random ads, ε = 0 never does', () => {
    const explored = selectSlate(
      candidates(),
      resolvePolicy({ exploration: { kind: 'epsilon-greedy', epsilon: 1 } }),
      context({ catalogSize: 1000, scoreOf: () => 0 }),
    );
    expect(explored).toHaveLength(3);
    expect(explored.every((p) => p.explored)).toBe(true);
    expect(new Set(explored.map((p) => p.index)).size).toBe(3);
    const greedy = selectSlate(
      candidates(),
      resolvePolicy({ exploration: { kind: 'epsilon-greedy', epsilon: 0 } }),
      context(),
    );
    expect(greedy.map((p) => p.index)).toEqual([0, 2, 4]);
    expect(greedy.some((p) => p.explored)).toBe(false);
  });

  it('explores with Thompson sampling: scale 0 is greedy, a large scale reorders and marks new picks', () => {
    expect(pick({ exploration: { kind: 'thompson', scale: 0 } })).toEqual([0, 2, 4]);
    const runs = Array.from({ length: 20 }, (_, r) =>
      selectSlate(
        candidates(),
        resolvePolicy({ exploration: { kind: 'thompson', scale: 5 } }),
        context({ random: mulberry(r) }),
      ),
    );
    expect(runs.some((slate) => slate.some((p) => p.explored))).toBe(true);
    for (const slate of runs) {
      for (const p of slate) expect(p.explored).toBe(![0, 2, 4].includes(p.index));
    }
  });

  it('validates options, quoting the value', () => {
    expect(() => resolvePolicy({ frequencyCap: { maxImpressions: 0, windowMs: 1 } })).toThrow(
      /maxImpressions.*got 0/,
    );
    expect(() => resolvePolicy({ exploration: { kind: 'epsilon-greedy', epsilon: 2 } })).toThrow(
      /epsilon.*got 2/,
    );
    expect(() => resolvePolicy({ diversity: { maxPerAdvertiser: 1.5 } })).toThrow(RangeError);
  });
});

function mulberry(seed: number): () => number {
  let a = seed + 0x6d2b79f5;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
