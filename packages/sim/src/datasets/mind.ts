import { join } from 'node:path';
import {
  joinSentences,
  ProblemLog,
  sortClicksByTime,
  splitLines,
  type DatasetClick,
  type DatasetImpression,
  type DatasetItem,
  type LoadOptions,
  type LoadResult,
} from './dataset.js';
import { readDatasetFile } from './movielens.js';

const MIND_TIME = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2}):(\d{2}) (AM|PM)$/;

/** Parses MIND's `M/D/YYYY h:mm:ss AM` timestamps as UTC milliseconds; `undefined` if malformed. */
export function parseMindTime(text: string): number | undefined {
  const m = MIND_TIME.exec(text.trim());
  if (!m) return undefined;
  const [month, day, year, hour, minute, second] = m.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (month < 1 || month > 12 || day < 1 || day > 31) return undefined;
  if (hour < 1 || hour > 12 || minute > 59 || second > 59) return undefined;
  const hour24 = (hour % 12) + (m[7] === 'PM' ? 12 : 0);
  return Date.UTC(year, month - 1, day, hour24, minute, second);
}

/**
 * Loads MIND (`news.tsv`: `id⇥category⇥subcategory⇥title⇥abstract⇥url⇥title entities⇥abstract
 * entities`; `behaviors.tsv`: `impression id⇥user id⇥time⇥history⇥impressions` with impressions
 * like `N123-1 N456-0`). An item's text is title, abstract and category. A user's history (clicks
 * before the logging period, without times) comes first, in file order, taken from the user's first
 * line; clicked impressions follow at their impression's time.
 * @param dir - folder holding `news.tsv` and `behaviors.tsv` (downloaded by the user: MIND may not
 *   be redistributed)
 * @throws DatasetError `DATASET_MISSING` when a file cannot be read; `DATASET_MALFORMED` on a bad
 *   line under `onMalformed: 'fail'`
 */
export async function loadMind(dir: string, options: LoadOptions = {}): Promise<LoadResult> {
  const log = new ProblemLog(options.onMalformed ?? 'skip');
  const newsText = await readDatasetFile(join(dir, 'news.tsv'), 'utf8');
  const behaviorsText = await readDatasetFile(join(dir, 'behaviors.tsv'), 'utf8');

  const items: DatasetItem[] = [];
  const itemIndex = new Map<string, number>();
  splitLines(newsText).forEach((line, i) => {
    const fields = line.split('\t');
    const [id, category, subcategory, title, abstract] = fields;
    if (fields.length < 5 || fields.length > 8 || !id || !category || title === undefined) {
      return log.report(
        'news.tsv',
        i + 1,
        `expected 5 to 8 tab-separated fields, got ${fields.length}`,
      );
    }
    if (!title.trim()) return log.report('news.tsv', i + 1, `news ${id} has an empty title`);
    if (itemIndex.has(id)) return log.report('news.tsv', i + 1, `duplicate news id ${id}`);
    itemIndex.set(id, items.length);
    const text = joinSentences([title, abstract, `${category} ${subcategory ?? ''}`]);
    items.push({ id, text, category });
  });

  const userIds: string[] = [];
  const userIndex = new Map<string, number>();
  const clicks: DatasetClick[][] = [];
  const impressions: DatasetImpression[] = [];
  splitLines(behaviorsText).forEach((line, i) => {
    const report = (message: string): void => log.report('behaviors.tsv', i + 1, message);
    const fields = line.split('\t');
    if (fields.length !== 5) return report(`expected 5 tab-separated fields, got ${fields.length}`);
    const [, user, timeText, historyText, impressionText] = fields as [
      string,
      string,
      string,
      string,
      string,
    ];
    const time = parseMindTime(timeText);
    if (!user) return report('empty user id');
    if (time === undefined) return report(`bad time ${JSON.stringify(timeText)}`);
    const history = historyText.trim() ? historyText.trim().split(' ') : [];
    const historyItems = history.map((id) => itemIndex.get(id));
    const unknownHistory = history.find((_, k) => historyItems[k] === undefined);
    if (unknownHistory) return report(`unknown news id ${unknownHistory} in history`);
    const shown: number[] = [];
    const clicked: boolean[] = [];
    for (const entry of impressionText.trim().split(' ')) {
      const m = /^(.+)-([01])$/.exec(entry);
      const item = m ? itemIndex.get(m[1]!) : undefined;
      if (!m) return report(`impression ${JSON.stringify(entry)} is not ID-0 or ID-1`);
      if (item === undefined) return report(`unknown news id ${m[1]} in impressions`);
      shown.push(item);
      clicked.push(m[2] === '1');
    }
    let u = userIndex.get(user);
    if (u === undefined) {
      u = userIds.length;
      userIndex.set(user, u);
      userIds.push(user);
      // History precedes the logging period; keep its order with increasing times from 0.
      clicks.push(historyItems.map((item, k) => ({ item: item!, time: k })));
    }
    impressions.push({ user: u, time, items: shown, clicked });
    shown.forEach((item, k) => {
      if (clicked[k]) clicks[u]!.push({ item, time });
    });
  });
  sortClicksByTime(clicks);
  return { dataset: { name: 'mind', items, userIds, clicks, impressions }, problems: log.problems };
}
