import { describe, expect, it } from 'vitest';
import {
  MetricAverager,
  evaluateScorer,
  heldOutOf,
  impressionAuc,
  rankOf,
  userRankingMetrics,
} from '@privads/sim';

describe('rankOf', () => {
  it('ranks by score, ties by lower index first', () => {
    const scores = [0.5, 0.9, 0.5, 0.1];
    expect(rankOf(scores, 1)).toBe(1);
    expect(rankOf(scores, 0)).toBe(2);
    expect(rankOf(scores, 2)).toBe(3);
    expect(rankOf(scores, 3)).toBe(4);
  });
});

describe('userRankingMetrics (hand-computed)', () => {
  it('scores two positives at ranks 2 and 5', () => {
    // Order: 0 (0.9), 3 (0.7), 2 (0.5), 4 (0.3), 1 (0.1).
    const m = userRankingMetrics([0.9, 0.1, 0.5, 0.7, 0.3], [3, 1], 1);
    expect(m.recallAt10).toBe(1);
    expect(m.recallAt50).toBe(1);
    // DCG = 1/log2(3) + 1/log2(6); IDCG = 1 + 1/log2(3).
    expect(m.ndcgAt10).toBeCloseTo(
      (1 / Math.log2(3) + 1 / Math.log2(6)) / (1 + 1 / Math.log2(3)),
      12,
    );
    expect(m.ndcgAt10).toBeCloseTo(0.624054, 5);
    expect(m.mrr).toBe(0.5);
    expect(m.hitRateAt10).toBe(1);
  });

  it('counts only the top 10 for Recall@10, NDCG@10 and HR@10', () => {
    // 12 items scored 11, 10, …, 0: item i has rank i + 1.
    const scores = Array.from({ length: 12 }, (_, i) => 11 - i);
    const m = userRankingMetrics(scores, [0, 10, 11], 11);
    expect(m.recallAt10).toBeCloseTo(1 / 3, 12);
    expect(m.recallAt50).toBe(1);
    // Only rank 1 counts: DCG = 1; IDCG = 1 + 1/log2(3) + 1/log2(4) = 1 + 0.6309… + 0.5.
    expect(m.ndcgAt10).toBeCloseTo(1 / (1 + 1 / Math.log2(3) + 0.5), 12);
    expect(m.mrr).toBe(1);
    expect(m.hitRateAt10).toBe(0);
  });

  it('gives a perfect ranking NDCG 1 and a duplicate positive no extra weight', () => {
    const m = userRankingMetrics([3, 2, 1, 0], [1, 0, 0], 0);
    expect(m.ndcgAt10).toBeCloseTo(1, 12);
    expect(m.recallAt10).toBe(1);
  });

  it('refuses an empty positive set', () => {
    expect(() => userRankingMetrics([1, 2], [], 0)).toThrow(RangeError);
  });
});

describe('impressionAuc', () => {
  it('counts wins and half ties over clicked × non-clicked pairs', () => {
    // Clicked 1 (0.2) loses to 0 (0.9) and 3 (0.5); clicked 2 (0.5) loses to 0 and ties 3.
    expect(impressionAuc([0.9, 0.2, 0.5, 0.5], [0, 1, 1, 0])).toBe(0.125);
    expect(impressionAuc([0.1, 0.9, 0.3], [0, 1, 0])).toBe(1);
  });

  it('is undefined without a click or without a non-click', () => {
    expect(impressionAuc([0.1, 0.2], [0, 0])).toBeUndefined();
    expect(impressionAuc([0.1, 0.2], [1, 1])).toBeUndefined();
  });
});

describe('MetricAverager', () => {
  it('averages users and impressions separately', () => {
    const avg = new MetricAverager();
    avg.addUser({ recallAt10: 1, recallAt50: 1, ndcgAt10: 1, mrr: 1, hitRateAt10: 1 });
    avg.addUser({ recallAt10: 0, recallAt50: 0.5, ndcgAt10: 0.5, mrr: 0.25, hitRateAt10: 0 });
    avg.addImpression(1);
    avg.addImpression(undefined);
    avg.addImpression(0.5);
    expect(avg.result()).toEqual({
      recallAt10: 0.5,
      recallAt50: 0.75,
      ndcgAt10: 0.75,
      mrr: 0.625,
      hitRateAt10: 0.5,
      auc: 0.75,
      users: 2,
      impressions: 2,
    });
  });

  it('reports a null AUC without impressions', () => {
    expect(new MetricAverager().result().auc).toBeNull();
  });
});

describe('evaluateScorer with the training clicks ranked last', () => {
  const slate = (items: number[], clicked: number[]) => ({
    items: Int32Array.from(items),
    clicked: Uint8Array.from(clicked),
    time: 0,
  });
  const timeline = {
    train: [slate([0, 1, 2], [1, 0, 0]), slate([1, 3], [0, 1])],
    test: [slate([2, 4], [0, 1])],
  };
  // Items 0 and 3 (clicked in training) score highest, item 4 (the held-out click) third.
  const scores = [0.9, 0.1, 0.2, 0.8, 0.5];

  it('lists the training clicks only when asked', () => {
    expect(heldOutOf(0, timeline)?.excluded).toBeUndefined();
    expect([...(heldOutOf(0, timeline, true)?.excluded ?? [])].sort()).toEqual([0, 3]);
  });

  it('ranks them below every other item; AUC on impressions is unchanged', () => {
    const all = evaluateScorer([heldOutOf(0, timeline)!], () => scores, true);
    const excluded = evaluateScorer([heldOutOf(0, timeline, true)!], () => scores, true);
    expect(all.mrr).toBeCloseTo(1 / 3, 12);
    expect(excluded.mrr).toBe(1);
    expect(excluded.auc).toBe(all.auc);
  });
});
