import { DatasetError } from '@privads/protocol';

/** An item (ad, movie, news article) with the text the content encoder embeds. */
export interface DatasetItem {
  readonly id: string;
  readonly text: string;
  readonly category: string;
}

/** One positive interaction: a user clicked (or rated highly) an item at a time. */
export interface DatasetClick {
  readonly item: number;
  /** Milliseconds since the epoch; the split holds out each user's latest clicks. */
  readonly time: number;
}

/** One logged impression: the items shown together and which were clicked. */
export interface DatasetImpression {
  readonly user: number;
  readonly time: number;
  readonly items: readonly number[];
  readonly clicked: readonly boolean[];
}

/** A public interaction data set in one shape, whatever its source format. */
export interface InteractionDataset {
  readonly name: string;
  readonly items: readonly DatasetItem[];
  /** Source user ids, indexed like {@link InteractionDataset.clicks}. */
  readonly userIds: readonly string[];
  /** Each user's clicks in time order. */
  readonly clicks: readonly (readonly DatasetClick[])[];
  /** Impression logs with labels, when the source has them (MIND); empty otherwise. */
  readonly impressions: readonly DatasetImpression[];
  /**
   * The source's own split, indexed like {@link InteractionDataset.clicks} (RecBole atomic files):
   * how many of each user's latest clicks are validation and test. When absent, the population
   * holds out a share of every timeline itself.
   */
  readonly givenSplit?: readonly GivenSplit[];
}

/** One user's split as the source gives it: the last `test` clicks, the `valid` ones before them. */
export interface GivenSplit {
  readonly valid: number;
  readonly test: number;
}

/** A line the loader could not use. */
export interface DatasetProblem {
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
  readonly message: string;
}

/** Options shared by the loaders. */
export interface LoadOptions {
  /**
   * `skip` reports malformed lines in {@link LoadResult.problems} and goes on; `fail` throws a
   * {@link DatasetError} naming the file and line at the first one.
   * @defaultValue 'skip'
   */
  readonly onMalformed?: 'skip' | 'fail';
}

/** What a loader returns: the data set and every line it skipped. */
export interface LoadResult {
  readonly dataset: InteractionDataset;
  readonly problems: readonly DatasetProblem[];
}

/** Collects malformed lines under the skip-or-fail policy of {@link LoadOptions}. */
export class ProblemLog {
  readonly problems: DatasetProblem[] = [];

  constructor(private readonly policy: 'skip' | 'fail') {}

  /** Records a malformed line, or throws under the `fail` policy. */
  report(file: string, line: number, message: string): void {
    if (this.policy === 'fail') {
      throw new DatasetError('DATASET_MALFORMED', `${file}:${line}: ${message}`);
    }
    this.problems.push({ file, line, message });
  }
}

/** Splits a text file into lines (LF or CRLF), dropping one trailing empty line. */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** Joins text fragments into sentences, adding a full stop only where one is missing. */
export function joinSentences(parts: readonly (string | undefined)[]): string {
  return parts
    .map((part) => part?.trim() ?? '')
    .filter((part) => part !== '')
    .map((part, i, all) => (i === all.length - 1 || /[.!?]$/.test(part) ? part : `${part}.`))
    .join(' ');
}

/** Orders every user's clicks by time; ties keep file order (the sort is stable). */
export function sortClicksByTime(clicks: DatasetClick[][]): void {
  for (const list of clicks) list.sort((a, b) => a.time - b.time);
}
