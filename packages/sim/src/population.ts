/**
 * The one shape every data source takes for simulation: a catalog of items with text, and for
 * each user a time-ordered timeline of slates (items shown together, which were clicked), split in
 * time — training slates first, the user's last interactions held out. Timelines are produced on
 * demand from a seed, so a population of 100,000+ users costs no memory up front.
 */

/** An item of the catalog (ad, movie, news article). */
export interface PopulationItem {
  readonly id: string;
  /** Text the content encoder embeds. */
  readonly text: string;
  readonly category: string;
}

/** Items shown together at one time, and which of them were clicked. */
export interface Slate {
  /** Catalog indices, in display order. */
  readonly items: Int32Array;
  /** 1 where the item at the same position was clicked. */
  readonly clicked: Uint8Array;
  /** Milliseconds since the epoch, or any increasing clock. */
  readonly time: number;
}

/** One user's history, split in time. */
export interface UserTimeline {
  /** Slates the device learns from (older). */
  readonly train: readonly Slate[];
  /** The user's latest slates, held out for evaluation; empty when the user has too few clicks. */
  readonly test: readonly Slate[];
  /**
   * How many of the last `train` slates are the source's validation split (RecBole's
   * `valid.inter`). Devices learn from them like any training slate; model selection holds them
   * out instead of carving its own. Absent when the source has no split of its own.
   */
  readonly validation?: number;
}

/** A population of users over one catalog. */
export interface Population {
  /** `synthetic`, `movielens` or `mind`. */
  readonly name: string;
  readonly userCount: number;
  readonly items: readonly PopulationItem[];
  /**
   * Whether slates are logged impressions (shown items with real non-clicks), so that AUC on
   * impressions means something. False when non-clicked slate items are sampled negatives.
   */
  readonly hasImpressions: boolean;
  /**
   * The timeline of a user; equal calls return equal timelines.
   * @throws RangeError for an index outside [0, userCount)
   */
  timeline(user: number): UserTimeline;
}

/**
 * Splits time-ordered slates: the last `max(1, round(testFraction · k))` slates holding a click
 * (and any slate after the first of them) are held out, where k is the number of slates with a
 * click. A user with fewer than two clicked slates keeps everything for training.
 * @param slates - the user's slates in time order
 * @param testFraction - share of clicked slates held out, in [0, 1)
 * @returns the split
 */
export function splitTimeline(slates: readonly Slate[], testFraction: number): UserTimeline {
  const clickedAt: number[] = [];
  slates.forEach((slate, i) => {
    if (slate.clicked.includes(1)) clickedAt.push(i);
  });
  if (clickedAt.length < 2) return { train: slates, test: [] };
  const held = Math.min(
    clickedAt.length - 1,
    Math.max(1, Math.round(testFraction * clickedAt.length)),
  );
  const cut = clickedAt[clickedAt.length - held]!;
  return { train: slates.slice(0, cut), test: slates.slice(cut) };
}

/**
 * Splits time-ordered slates as the source did: the last `test` slates are held out for
 * evaluation, the `valid` ones before them stay in training but are marked as the validation split.
 * @param slates - the user's slates in time order, one per click
 * @param split - how many of the latest slates are validation and test
 * @returns the split
 * @throws RangeError when the split asks for more slates than there are
 */
export function givenSplitTimeline(
  slates: readonly Slate[],
  split: { readonly valid: number; readonly test: number },
): UserTimeline {
  const cut = slates.length - split.test;
  if (cut - split.valid < 0) {
    throw new RangeError(
      `split of ${split.valid} validation and ${split.test} test slates exceeds ${slates.length} slates`,
    );
  }
  return { train: slates.slice(0, cut), test: slates.slice(cut), validation: split.valid };
}

/**
 * The split model selection validates on: the timeline's own validation slates when the source
 * gives them, else the last `fraction` of its clicked training slates (as {@link splitTimeline}
 * carves the test split from the whole timeline). Never touches the test slates.
 * @param timeline - a user's split timeline
 * @param fraction - share of clicked training slates held out when the source gives no split
 * @returns training slates without the validation ones, and the validation slates as `test`
 */
export function validationSplit(timeline: UserTimeline, fraction: number): UserTimeline {
  if (timeline.validation === undefined) return splitTimeline(timeline.train, fraction);
  const cut = timeline.train.length - timeline.validation;
  return { train: timeline.train.slice(0, cut), test: timeline.train.slice(cut) };
}

/**
 * Number of clicks in a list of slates.
 * @param slates - slates
 * @returns the total count of clicked positions
 */
export function countClicks(slates: readonly Slate[]): number {
  let n = 0;
  for (const slate of slates) for (const c of slate.clicked) n += c;
  return n;
}

/**
 * Checks a user index.
 * @throws RangeError for a non-integer or an index outside [0, count)
 */
export function checkUserIndex(user: number, count: number): void {
  if (!Number.isInteger(user) || user < 0 || user >= count) {
    throw new RangeError(`user must be an integer in [0, ${count - 1}], got ${user}`);
  }
}

/**
 * A seed for one user's private stream, derived from a population seed: distinct users get
 * distinct 32-bit seeds (the multiplier is odd), which the generator's SplitMix seeding spreads.
 * @param seed - population seed
 * @param user - user index
 * @param salt - separates streams used for different purposes
 * @returns a safe integer seed
 */
export function userSeed(seed: number, user: number, salt: number): number {
  return (Math.imul(user + 1, 0x9e3779b1) ^ Math.imul(seed + salt, 0x85ebca6b)) >>> 0;
}
