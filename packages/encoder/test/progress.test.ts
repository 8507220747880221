import { describe, expect, it } from 'vitest';
import { createProgressBar, formatProgress } from '@privads/encoder';

describe('formatProgress', () => {
  it('shows a bar, percentage, count, rate and ETA when the total is known', () => {
    expect(formatProgress({ done: 250, total: 1000, elapsedMs: 500 }, 'encoding', 10)).toBe(
      'encoding [###-------]  25% 250/1,000 texts  500 texts/s  ETA 0:02',
    );
  });

  it('uses bytes for the fraction of a stream', () => {
    expect(
      formatProgress({ done: 10, bytes: 50, totalBytes: 100, elapsedMs: 2000 }, 'ads', 4),
    ).toBe('ads [##--]  50% 10 texts  5 texts/s  ETA 0:02');
  });

  it('shows only count and rate without a total, and no ETA when done', () => {
    expect(formatProgress({ done: 1234567, elapsedMs: 1000 })).toBe(
      'encoding 1,234,567 texts  1,234,567 texts/s',
    );
    expect(formatProgress({ done: 4, total: 4, elapsedMs: 0 }, 'x', 2)).toBe(
      'x [##] 100% 4/4 texts  0 texts/s',
    );
    expect(formatProgress({ done: 1, total: 3600, elapsedMs: 1000 }, 'x', 0)).toContain(
      'ETA 59:59',
    );
    expect(formatProgress({ done: 1, total: 7200, elapsedMs: 1000 }, 'x', 0)).toContain(
      'ETA 1:59:59',
    );
  });
});

describe('createProgressBar', () => {
  it('redraws one line in a terminal, throttled, and ends it', () => {
    const out: string[] = [];
    let t = 0;
    const bar = createProgressBar({
      write: (s) => out.push(s),
      interactive: true,
      width: 4,
      now: () => t,
    });
    bar.update({ done: 1, total: 4, elapsedMs: 1000 });
    t = 50;
    bar.update({ done: 2, total: 4, elapsedMs: 2000 }); // throttled
    t = 200;
    bar.update({ done: 3, total: 4, elapsedMs: 3000 });
    bar.finish({ done: 4, total: 4, elapsedMs: 4000 });
    expect(out).toHaveLength(3);
    expect(out.every((s) => s.startsWith('\r'))).toBe(true);
    expect(out[0]).toContain('1/4 texts');
    expect(out[1]).toContain('3/4 texts');
    expect(out[2]?.endsWith('\n')).toBe(true);
  });

  it('prints plain lines rarely when not a terminal', () => {
    const out: string[] = [];
    let t = 0;
    const bar = createProgressBar({ write: (s) => out.push(s), interactive: false, now: () => t });
    for (let i = 1; i <= 100; i++) {
      t = i * 100;
      bar.update({ done: i, elapsedMs: t });
    }
    bar.finish({ done: 100, elapsedMs: t });
    expect(out.length).toBe(3); // t=100, t=5100, finish
    expect(out.every((s) => !s.includes('\r') && s.endsWith('\n'))).toBe(true);
  });
});
