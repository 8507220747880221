import { createSeededRandom, type SeededRandom } from '../seeded-random.js';
import { GENERIC_AD_WORDS, SYNTHETIC_TOPICS, type Topic } from './topics.js';

/** Options of {@link createSyntheticWorld}. Every field has a default suited to a 10k-user run. */
export interface SyntheticWorldOptions {
  /** Seed of everything: equal options give an identical world. */
  readonly seed: number;
  /** Number of users. Users are generated on demand, so 100,000+ costs no memory up front. */
  readonly users: number;
  /** Number of ads in the catalog. @defaultValue 1000 */
  readonly ads?: number;
  /** Topic vocabularies. @defaultValue {@link SYNTHETIC_TOPICS} */
  readonly topics?: readonly Topic[];
  /** Number of interest archetypes. @defaultValue 24 */
  readonly archetypes?: number;
  /** Topics each archetype mixes. @defaultValue 2 */
  readonly topicsPerArchetype?: number;
  /** At most this many archetypes per user (1…n, uniformly). @defaultValue 3 */
  readonly maxArchetypesPerUser?: number;
  /** Fraction of a user's interest that has moved to a new archetype by their last session. @defaultValue 0.3 */
  readonly drift?: number;
  /** Slope of the logistic click model in true affinity. @defaultValue 8 */
  readonly clickSharpness?: number;
  /** Affinity at which an ad in the top position is clicked with probability 1/2. @defaultValue 0.6 */
  readonly clickMidpoint?: number;
  /** Position-bias exponent η: examination probability at 0-based position k is (1 + k)^-η. @defaultValue 0.7 */
  readonly positionBias?: number;
}

/** An ad with its text and its ground-truth topic weights (unit L2 norm). */
export interface SyntheticAd {
  readonly id: string;
  readonly title: string;
  readonly text: string;
  readonly advertiser: string;
  /** Name of the ad's main topic. */
  readonly category: string;
  readonly topicWeights: Float64Array;
}

/** A user: a sparse mixture of archetypes whose interests drift over their sessions. */
export interface SyntheticUser {
  readonly index: number;
  /** Ground-truth interest over topics (unit L2 norm) at `progress` ∈ [0, 1] of the user's history. */
  interestsAt(progress: number): Float64Array;
}

/** A synthetic population with known ground truth. */
export interface SyntheticWorld {
  readonly options: Readonly<Required<SyntheticWorldOptions>>;
  readonly topics: readonly Topic[];
  readonly ads: readonly SyntheticAd[];
  /** The user with this index, generated from the seed and the index alone. */
  user(index: number): SyntheticUser;
  /** True affinity of interests to an ad: cosine of topic weights, in [0, 1]. */
  affinity(interests: Float64Array, ad: SyntheticAd): number;
  /** Probability that an ad at 0-based slate position `position` is clicked. */
  clickProbability(interests: Float64Array, ad: SyntheticAd, position: number): number;
}

const DEFAULTS = {
  ads: 1000,
  topics: SYNTHETIC_TOPICS,
  archetypes: 24,
  topicsPerArchetype: 2,
  maxArchetypesPerUser: 3,
  drift: 0.3,
  clickSharpness: 8,
  clickMidpoint: 0.6,
  positionBias: 0.7,
} as const;

/**
 * Builds a synthetic world: topics with vocabularies, archetypes (sparse topic mixtures), a catalog
 * of ads whose text is drawn from their topics' words, and users as sparse archetype mixtures.
 * @throws RangeError for non-positive counts or out-of-range rates.
 */
export function createSyntheticWorld(options: SyntheticWorldOptions): SyntheticWorld {
  const o: Required<SyntheticWorldOptions> = { ...DEFAULTS, ...options };
  requireInteger('users', o.users, 1);
  requireInteger('ads', o.ads, 1);
  requireInteger('archetypes', o.archetypes, 1);
  requireInteger('topicsPerArchetype', o.topicsPerArchetype, 1, o.topics.length);
  requireInteger('maxArchetypesPerUser', o.maxArchetypesPerUser, 1, o.archetypes);
  if (!(o.drift >= 0 && o.drift <= 1))
    throw new RangeError(`drift must be in [0, 1], got ${o.drift}`);
  if (o.topics.length < 2) throw new RangeError(`need at least 2 topics, got ${o.topics.length}`);

  const topicCount = o.topics.length;
  const random = createSeededRandom(o.seed);
  const archetypeRandom = random.fork();
  const adRandom = random.fork();
  const userSeedBase = random.nextInt(2 ** 31);

  const archetypes = Array.from({ length: o.archetypes }, () => {
    const weights = new Float64Array(topicCount);
    for (const t of sampleDistinct(archetypeRandom, topicCount, o.topicsPerArchetype)) {
      weights[t] = 0.5 + archetypeRandom.next();
    }
    return normalise(weights);
  });

  const ads = Array.from({ length: o.ads }, (_, i) => makeAd(i, o.topics, adRandom));

  const user = (index: number): SyntheticUser => {
    requireInteger('user index', index, 0, o.users - 1);
    const r = createSeededRandom(userSeedBase + index * 7919);
    const count = 1 + r.nextInt(o.maxArchetypesPerUser);
    const base = new Float64Array(topicCount);
    for (const a of sampleDistinct(r, o.archetypes, count)) {
      addScaled(base, archetypes[a]!, -Math.log(1 - r.next())); // Dirichlet(1) weights, unnormalised
    }
    const drifted = archetypes[r.nextInt(o.archetypes)]!;
    const baseUnit = normalise(base);
    return {
      index,
      interestsAt(progress) {
        const rho = o.drift * Math.min(1, Math.max(0, progress));
        const w = new Float64Array(topicCount);
        addScaled(w, baseUnit, 1 - rho);
        addScaled(w, drifted, rho);
        return normalise(w);
      },
    };
  };

  const affinity = (interests: Float64Array, ad: SyntheticAd): number =>
    dot(interests, ad.topicWeights);

  return {
    options: o,
    topics: o.topics,
    ads,
    user,
    affinity,
    clickProbability(interests, ad, position) {
      const examined = (1 + position) ** -o.positionBias;
      const attractive =
        1 / (1 + Math.exp(-o.clickSharpness * (affinity(interests, ad) - o.clickMidpoint)));
      return examined * attractive;
    },
  };
}

function makeAd(index: number, topics: readonly Topic[], random: SeededRandom): SyntheticAd {
  const main = random.nextInt(topics.length);
  const weights = new Float64Array(topics.length);
  weights[main] = 1;
  // A third of the ads bridge two topics, as real ads often do.
  if (random.next() < 1 / 3) {
    let second = random.nextInt(topics.length - 1);
    if (second >= main) second++;
    weights[second] = 0.3 + 0.4 * random.next();
  }
  const topicWeights = normalise(weights);
  const pick = (list: readonly string[]): string => list[random.nextInt(list.length)]!;
  const wordFromTopics = (): string => {
    let u = random.next() * sum(topicWeights);
    for (let t = 0; t < topics.length; t++) {
      u -= topicWeights[t]!;
      if (u < 0) return pick(topics[t]!.words);
    }
    return pick(topics[main]!.words);
  };
  const mainTopic = topics[main]!;
  const titleWords = [pick(GENERIC_AD_WORDS), wordFromTopics(), wordFromTopics()];
  const bodyWords = Array.from({ length: 14 }, () =>
    random.next() < 0.75 ? wordFromTopics() : pick(GENERIC_AD_WORDS),
  );
  const id = `ad-${String(index).padStart(6, '0')}`;
  return {
    id,
    title: capitalise(titleWords.join(' ')),
    text: `${capitalise(bodyWords.join(' '))}.`,
    advertiser: `${capitalise(mainTopic.name)} Co ${1 + (index % 7)}`,
    category: mainTopic.name,
    topicWeights,
  };
}

function sampleDistinct(random: SeededRandom, n: number, k: number): number[] {
  const chosen = new Set<number>();
  while (chosen.size < k) chosen.add(random.nextInt(n));
  return [...chosen];
}

function requireInteger(
  name: string,
  value: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

const capitalise = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);
const sum = (v: Float64Array): number => v.reduce((a, b) => a + b, 0);

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function addScaled(target: Float64Array, v: Float64Array, scale: number): void {
  for (let i = 0; i < target.length; i++) target[i]! += scale * v[i]!;
}

function normalise(v: Float64Array): Float64Array {
  const norm = Math.sqrt(dot(v, v));
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return v;
}
