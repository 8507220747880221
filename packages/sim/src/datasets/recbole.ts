import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetError } from '@privads/protocol';
import {
  ProblemLog,
  splitLines,
  type DatasetClick,
  type DatasetItem,
  type GivenSplit,
  type LoadOptions,
  type LoadResult,
} from './dataset.js';
import { readDatasetFile } from './movielens.js';
import { rebuildSequence, type SequenceLine } from './recbole-sequence.js';

/** The atomic files of a RecBole / UniSRec data set `NAME`, as `NAME.<suffix>`. */
export const RECBOLE_SUFFIXES = [
  'text',
  'item2index',
  'user2index',
  'train.inter',
  'valid.inter',
  'test.inter',
] as const;

const TEXT_HEADER = ['item_id', 'text'];
const INTER_HEADER = ['user_id', 'item_id_list', 'item_id'];

/**
 * The data-set name of a folder of RecBole atomic files: the one prefix `NAME` of its
 * `NAME.text`, `NAME.train.inter`, … files (other files, e.g. UniSRec's `NAME.feat1CLS`, are
 * ignored).
 * @param dir - the folder
 * @returns NAME
 * @throws DatasetError `DATASET_MISSING` when the folder cannot be read, holds no atomic file, or
 *   holds files of more than one name
 */
export async function findRecBoleName(dir: string): Promise<string> {
  let files: string[];
  try {
    files = await readdir(dir);
  } catch (cause) {
    throw new DatasetError('DATASET_MISSING', `cannot read ${dir}: ${String(cause)}`, { cause });
  }
  const names = new Set<string>();
  for (const file of files) {
    const suffix = RECBOLE_SUFFIXES.find((s) => file.endsWith(`.${s}`));
    if (suffix !== undefined && file.length > suffix.length + 1) {
      names.add(file.slice(0, -suffix.length - 1));
    }
  }
  const [name, ...others] = [...names].sort();
  if (name === undefined) {
    throw new DatasetError(
      'DATASET_MISSING',
      `no RecBole atomic files (NAME.${RECBOLE_SUFFIXES.join(', NAME.')}) in ${dir}`,
    );
  }
  if (others.length > 0) {
    throw new DatasetError(
      'DATASET_MISSING',
      `ambiguous RecBole data set in ${dir}: files of ${[name, ...others].map((n) => JSON.stringify(n)).join(', ')}; keep one NAME per folder`,
    );
  }
  return name;
}

/**
 * Loads a text-based sequential-recommendation data set in the RecBole / UniSRec atomic-file
 * format: `NAME.text` (header `item_id:token⇥text:token_seq`; original item id and its text),
 * `NAME.item2index` and `NAME.user2index` (`original id⇥index`, no header), and
 * `NAME.train.inter`, `NAME.valid.inter`, `NAME.test.inter` (header
 * `user_id:token⇥item_id_list:token_seq⇥item_id:token`; user index, the space-separated item
 * indices seen before, the next item). Each user's items, in sequence order, are the user's clicks
 * in time order (the clock is the position): the training sequence rebuilt from the train lines'
 * (history, next item) pairs, then the validation and the test targets, which become the given
 * split ({@link InteractionDataset.givenSplit}). There are no impressions.
 * @param dir - folder holding the six files of one NAME (e.g. UniSRec's processed `Scientific/`)
 * @param options - skip or fail on malformed lines
 * @returns the data set (name `recbole:NAME`) and every line skipped
 * @throws DatasetError `DATASET_MISSING` when the files cannot be found or read;
 *   `DATASET_MALFORMED` on a bad line under `onMalformed: 'fail'`
 */
export async function loadRecBole(dir: string, options: LoadOptions = {}): Promise<LoadResult> {
  const log = new ProblemLog(options.onMalformed ?? 'skip');
  const name = await findRecBoleName(dir);
  const read = async (suffix: (typeof RECBOLE_SUFFIXES)[number]): Promise<[string, string[]]> => {
    const file = `${name}.${suffix}`;
    return [file, splitLines(await readDatasetFile(join(dir, file), 'utf8'))];
  };

  const itemMap = readIndexMap(await read('item2index'), log);
  const [textFile, textLines] = await read('text');
  const texts = new Map<string, string>();
  textLines.forEach((line, i) => {
    const fields = line.split('\t');
    if (i === 0) return checkHeader(textFile, fields, TEXT_HEADER, log);
    const [id, ...rest] = fields;
    const text = rest.join(' ').trim();
    if (!id || rest.length === 0) {
      return log.report(textFile, i + 1, `expected item id⇥text, got ${fields.length} fields`);
    }
    if (!itemMap.byOriginal.has(id)) {
      return log.report(textFile, i + 1, `item ${id} is not in ${itemMap.file}`);
    }
    if (texts.has(id)) return log.report(textFile, i + 1, `duplicate item id ${id}`);
    if (!text) return log.report(textFile, i + 1, `item ${id} has an empty text`);
    texts.set(id, text);
  });

  // Items in item2index order; inter files name them by index.
  const items: DatasetItem[] = [];
  const itemByIndex = new Map<string, number>();
  for (const entry of itemMap.entries) {
    const text = texts.get(entry.original);
    if (text === undefined) {
      log.report(itemMap.file, entry.line, `item ${entry.original} has no text in ${textFile}`);
      continue;
    }
    itemByIndex.set(entry.index, items.length);
    items.push({ id: entry.original, text, category: 'unknown' });
  }

  const userMap = readIndexMap(await read('user2index'), log);
  const userByIndex = new Map(userMap.entries.map((e, u) => [e.index, u]));
  const parts = [];
  for (const suffix of ['train.inter', 'valid.inter', 'test.inter'] as const) {
    parts.push(readInterFile(await read(suffix), userByIndex, itemByIndex, log));
  }
  const [train, valid, test] = parts as [SequenceLine[][], SequenceLine[][], SequenceLine[][]];

  const clicks: DatasetClick[][] = [];
  const givenSplit: GivenSplit[] = [];
  userMap.entries.forEach((_, u) => {
    const validLines = valid[u] ?? [];
    const testLines = test[u] ?? [];
    const tail = validLines[0]?.history ?? testLines[0]?.history ?? [];
    const { sequence, unused } = rebuildSequence(train[u] ?? [], tail);
    for (const line of unused) {
      log.report(
        line.file,
        line.line,
        `history does not continue user ${userMap.entries[u]!.original}'s training sequence`,
      );
    }
    const ordered = [
      ...sequence,
      ...validLines.map((l) => l.target),
      ...testLines.map((l) => l.target),
    ];
    clicks.push(ordered.map((item, time) => ({ item, time })));
    givenSplit.push({ valid: validLines.length, test: testLines.length });
  });
  return {
    dataset: {
      name: `recbole:${name}`,
      items,
      userIds: userMap.entries.map((e) => e.original),
      clicks,
      impressions: [],
      givenSplit,
    },
    problems: log.problems,
  };
}

/** An `original⇥index` line of `NAME.item2index` / `NAME.user2index`. */
interface IndexEntry {
  readonly original: string;
  readonly index: string;
  readonly line: number;
}

/** Parses an index map, reporting malformed and duplicate lines. */
function readIndexMap(
  [file, lines]: [string, string[]],
  log: ProblemLog,
): { file: string; entries: IndexEntry[]; byOriginal: Set<string> } {
  const entries: IndexEntry[] = [];
  const byOriginal = new Set<string>();
  const byIndex = new Set<string>();
  lines.forEach((text, i) => {
    const fields = text.split('\t');
    const [original, index] = fields.map((f) => f.trim());
    if (fields.length !== 2 || !original || !index) {
      return log.report(file, i + 1, `expected original id⇥index, got ${fields.length} fields`);
    }
    if (!/^\d+$/.test(index))
      return log.report(file, i + 1, `index must be an integer, got ${index}`);
    if (byOriginal.has(original)) return log.report(file, i + 1, `duplicate id ${original}`);
    if (byIndex.has(index)) return log.report(file, i + 1, `duplicate index ${index}`);
    byOriginal.add(original);
    byIndex.add(index);
    entries.push({ original, index, line: i + 1 });
  });
  return { file, entries, byOriginal };
}

/** Reports line 1 unless its field names (before `:type`) are the expected ones. */
function checkHeader(
  file: string,
  fields: readonly string[],
  expected: readonly string[],
  log: ProblemLog,
): void {
  const names = fields.map((f) => f.split(':')[0]!.trim());
  if (names.join('\t') !== expected.join('\t')) {
    log.report(file, 1, `expected the header ${expected.join('⇥')}, got ${fields.join('⇥')}`);
  }
}

/** Parses an `.inter` file into each user's lines, in file order. */
function readInterFile(
  [file, lines]: [string, string[]],
  userByIndex: ReadonlyMap<string, number>,
  itemByIndex: ReadonlyMap<string, number>,
  log: ProblemLog,
): SequenceLine[][] {
  const byUser: SequenceLine[][] = [];
  lines.forEach((text, i) => {
    const fields = text.split('\t');
    if (i === 0) return checkHeader(file, fields, INTER_HEADER, log);
    const report = (message: string): void => log.report(file, i + 1, message);
    if (fields.length !== 3) return report(`expected 3 tab-separated fields, got ${fields.length}`);
    const [userText, historyText, targetText] = fields.map((f) => f.trim()) as [
      string,
      string,
      string,
    ];
    const user = userByIndex.get(userText);
    if (user === undefined) return report(`unknown user index ${userText}`);
    const historyIds = historyText === '' ? [] : historyText.split(/ +/);
    const history = historyIds.map((id) => itemByIndex.get(id));
    const unknown = historyIds.find((_, k) => history[k] === undefined);
    if (unknown !== undefined) return report(`unknown item index ${unknown} in the history`);
    const target = itemByIndex.get(targetText);
    if (target === undefined) return report(`unknown item index ${targetText}`);
    (byUser[user] ??= []).push({
      file,
      line: i + 1,
      history: history as number[],
      target,
    });
  });
  return byUser;
}
