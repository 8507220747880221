import { describe, expect, it } from 'vitest';
import { loadMind, loadMovieLens, parseMindTime } from '@privads/sim';
import { codeOf, fixture } from './dataset-helpers.js';

describe('loadMovieLens', () => {
  it('reads items (Latin-1) and clicks (rating ≥ 4) in time order, reporting bad lines', async () => {
    const { dataset, problems } = await loadMovieLens(fixture('movielens'));
    expect(dataset.items.map((item) => item.id)).toEqual(['1', '2', '3', '4']);
    expect(dataset.items[2]).toEqual({
      id: '3',
      text: 'Café au lait (1994). Comedy',
      category: 'Comedy',
    });
    expect(dataset.items[3]!.text).toBe('Twelve Monkeys (1995). Drama, Sci-Fi');
    expect(dataset.userIds).toEqual(['196', '186', '22', '244']);
    expect(dataset.clicks.map((list) => list.map((c) => c.item))).toEqual([
      [3, 0],
      [2, 1],
      [],
      [1],
    ]);
    expect(dataset.clicks[0]![0]!.time).toBe(881250800_000);
    expect(dataset.impressions).toEqual([]);
    expect(problems.map((p) => `${p.file}:${p.line}`)).toEqual([
      'u.item:5',
      'u.item:6',
      'u.data:8',
      'u.data:9',
      'u.data:10',
      'u.data:11',
    ]);
    expect(problems[2]!.message).toMatch(/unknown item id 9/);
    expect(problems[3]!.message).toMatch(/rating .* got five/);
  });

  it('stops at the first bad line with a typed error under onMalformed: fail', async () => {
    expect(await codeOf(loadMovieLens(fixture('movielens'), { onMalformed: 'fail' }))).toMatch(
      /^DATASET_MALFORMED: u\.item:5: /,
    );
  });

  it('names the missing file', async () => {
    expect(await codeOf(loadMovieLens(fixture('nowhere')))).toMatch(
      /^DATASET_MISSING: .*nowhere\/u\.item/,
    );
  });
});

describe('loadMind', () => {
  it('reads news and impressions; history first, then clicked impressions by time', async () => {
    const { dataset, problems } = await loadMind(fixture('mind'));
    expect(dataset.items.map((item) => item.id)).toEqual(['N1', 'N2', 'N3', 'N4', 'N5']);
    expect(dataset.items[3]!.text).toBe(
      'Über den Wolken: Alpine rail journeys. Scenic routes through Switzerland — and what they cost. travel travelnews',
    );
    expect(dataset.items[4]!.text).toBe('Rookie guard signs extension. sports basketball_nba');
    expect(dataset.userIds).toEqual(['U100', 'U200', 'U400']);
    expect(dataset.clicks.map((list) => list.map((c) => c.item))).toEqual([
      [0, 2, 4, 3],
      [2],
      [1, 4],
    ]);
    expect(dataset.clicks[0]![2]!.time).toBe(Date.UTC(2019, 10, 11, 9, 5, 58));
    expect(dataset.impressions).toHaveLength(4);
    expect(dataset.impressions[0]).toEqual({
      user: 0,
      time: Date.UTC(2019, 10, 11, 9, 5, 58),
      items: [1, 4, 3],
      clicked: [false, true, false],
    });
    expect(problems.map((p) => `${p.file}:${p.line}`)).toEqual([
      'news.tsv:6',
      'behaviors.tsv:4',
      'behaviors.tsv:5',
      'behaviors.tsv:6',
      'behaviors.tsv:7',
    ]);
    expect(problems[2]!.message).toMatch(/unknown news id N9/);
  });

  it('fails on the first bad line under onMalformed: fail', async () => {
    expect(await codeOf(loadMind(fixture('mind'), { onMalformed: 'fail' }))).toMatch(
      /^DATASET_MALFORMED: news\.tsv:6: /,
    );
  });

  it('parses MIND times as UTC, including 12 AM/PM', () => {
    expect(parseMindTime('11/13/2019 12:00:00 PM')).toBe(Date.UTC(2019, 10, 13, 12));
    expect(parseMindTime('11/13/2019 12:30:00 AM')).toBe(Date.UTC(2019, 10, 13, 0, 30));
    expect(parseMindTime('1/2/2020 1:02:03 PM')).toBe(Date.UTC(2020, 0, 2, 13, 2, 3));
    for (const bad of [
      '13/01/2019 1:00:00 AM',
      '11/13/2019 0:00:00 AM',
      '11/13/2019 1:00 AM',
      'x',
    ]) {
      expect(parseMindTime(bad), bad).toBeUndefined();
    }
  });
});
