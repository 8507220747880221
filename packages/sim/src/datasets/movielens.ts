import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetError } from '@privads/protocol';
import {
  joinSentences,
  ProblemLog,
  sortClicksByTime,
  splitLines,
  type DatasetClick,
  type DatasetItem,
  type LoadOptions,
  type LoadResult,
} from './dataset.js';

/** The 19 genre columns of MovieLens 100K `u.item`, in file order. */
export const MOVIELENS_GENRES = [
  'unknown',
  'Action',
  'Adventure',
  'Animation',
  "Children's",
  'Comedy',
  'Crime',
  'Documentary',
  'Drama',
  'Fantasy',
  'Film-Noir',
  'Horror',
  'Musical',
  'Mystery',
  'Romance',
  'Sci-Fi',
  'Thriller',
  'War',
  'Western',
] as const;

/** Ratings at or above this count as a click. */
export const MOVIELENS_CLICK_RATING = 4;

/**
 * Loads MovieLens 100K (`u.data`: `user⇥item⇥rating⇥timestamp`; `u.item`:
 * `id|title|release|video release|IMDb URL|19 genre flags`, Latin-1). A rating ≥ 4 is a click;
 * an item's text is its title and genres, its category the first genre.
 * @param dir - folder holding `u.data` and `u.item` (downloaded by the user: MovieLens may not be
 *   redistributed)
 * @throws DatasetError `DATASET_MISSING` when a file cannot be read; `DATASET_MALFORMED` on a bad
 *   line under `onMalformed: 'fail'`
 */
export async function loadMovieLens(dir: string, options: LoadOptions = {}): Promise<LoadResult> {
  const log = new ProblemLog(options.onMalformed ?? 'skip');
  const itemText = await readDatasetFile(join(dir, 'u.item'), 'latin1');
  const dataText = await readDatasetFile(join(dir, 'u.data'), 'utf8');

  const items: DatasetItem[] = [];
  const itemIndex = new Map<string, number>();
  splitLines(itemText).forEach((line, i) => {
    const fields = line.split('|');
    const id = fields[0]?.trim() ?? '';
    const flags = fields.slice(5);
    if (fields.length !== 5 + MOVIELENS_GENRES.length || !/^\d+$/.test(id)) {
      return log.report(
        'u.item',
        i + 1,
        `expected id|title|…|19 genre flags, got ${fields.length} fields`,
      );
    }
    if (flags.some((f) => f !== '0' && f !== '1')) {
      return log.report('u.item', i + 1, 'genre flags must be 0 or 1');
    }
    if (itemIndex.has(id)) return log.report('u.item', i + 1, `duplicate item id ${id}`);
    const genres = MOVIELENS_GENRES.filter((_, g) => flags[g] === '1');
    itemIndex.set(id, items.length);
    const text = joinSentences([fields[1], genres.join(', ')]);
    items.push({ id, text, category: genres[0] ?? 'unknown' });
  });

  const userIds: string[] = [];
  const userIndex = new Map<string, number>();
  const clicks: DatasetClick[][] = [];
  splitLines(dataText).forEach((line, i) => {
    const fields = line.trim().split(/\s+/);
    const [user, item, rating, timestamp] = fields;
    if (fields.length !== 4 || !user || !item || !rating || !timestamp) {
      return log.report('u.data', i + 1, `expected 4 tab-separated fields, got ${fields.length}`);
    }
    const stars = Number(rating);
    const seconds = Number(timestamp);
    if (!Number.isInteger(stars) || stars < 1 || stars > 5) {
      return log.report('u.data', i + 1, `rating must be an integer 1..5, got ${rating}`);
    }
    if (!Number.isInteger(seconds) || seconds < 0) {
      return log.report(
        'u.data',
        i + 1,
        `timestamp must be a non-negative integer, got ${timestamp}`,
      );
    }
    const itemNumber = itemIndex.get(item);
    if (itemNumber === undefined) return log.report('u.data', i + 1, `unknown item id ${item}`);
    let u = userIndex.get(user);
    if (u === undefined) {
      u = userIds.length;
      userIndex.set(user, u);
      userIds.push(user);
      clicks.push([]);
    }
    if (stars >= MOVIELENS_CLICK_RATING)
      clicks[u]!.push({ item: itemNumber, time: seconds * 1000 });
  });
  sortClicksByTime(clicks);
  return {
    dataset: { name: 'movielens', items, userIds, clicks, impressions: [] },
    problems: log.problems,
  };
}

/**
 * Reads a data-set file, turning a missing or unreadable file into a typed error that names it.
 * Shared by the loaders.
 */
export async function readDatasetFile(path: string, encoding: 'utf8' | 'latin1'): Promise<string> {
  try {
    return await readFile(path, encoding);
  } catch (cause) {
    throw new DatasetError('DATASET_MISSING', `cannot read ${path}: ${String(cause)}`, { cause });
  }
}
