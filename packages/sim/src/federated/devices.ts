/**
 * Simulated devices. Each keeps what a browser keeps — its user vector and how far its event log
 * was consumed — and learns with the functions the browser client calls: `userGradientStep` for a
 * click on a slate of two or more ads, `emaUpdate` for a lone ad (client `Learner.click`), and for
 * its round upload `RoundGradientAccumulator` → `privatizeRoundUpdate` (clip, local-mode noise,
 * encode: the client's `flusher.ts` calls the same function), with the client's default learning
 * rate and temperature. With a catalog bias (the popularity prior the device's catalog carries)
 * every rule scores `cos + bias`, as the browser does with its catalog's popularity section.
 */
import type { RandomSource } from '@privads/dp';
import {
  emaUpdate,
  refitUserVector,
  RoundGradientAccumulator,
  userGradientStep,
  type ProjectedClick,
  type Projector,
} from '@privads/model';
import { privatizeRoundUpdate, type DeviceAdCounts } from '@privads/model/round-upload';
import type { RoundConfig } from '@privads/protocol';
import type { Slate } from '../population.js';
import { gatherRows, type CatalogContent } from './catalog.js';

/** The encoding the browser client prefers when the round accepts it. */
const UPLOAD_ENCODING = 'f16';

/** The bias of a slate's ads (their entries of the catalog's per-ad bias), or none. */
function slateBias(bias: Float32Array | undefined, items: Int32Array): Float32Array | undefined {
  return bias && gatherRows(bias, 1, items);
}

/** The on-device state of every simulated user, in flat arrays (100,000 users ≈ 51 MB). */
export class DeviceFleet {
  readonly userDim: number;
  /** `users × userDim` user vectors. */
  readonly vectors: Float32Array;
  /** Updates applied to each user vector (the EMA rule's `n`). */
  readonly updates: Int32Array;
  /** Index of the first training slate not yet learned from. */
  readonly learned: Int32Array;
  /** Index of the first training slate not yet included in an upload. */
  readonly uploaded: Int32Array;

  /**
   * @param users - number of devices
   * @param prior - the cold-start vector every device begins with
   */
  constructor(users: number, prior: Float32Array) {
    this.userDim = prior.length;
    this.vectors = new Float32Array(users * this.userDim);
    for (let u = 0; u < users; u++) this.vectors.set(prior, u * this.userDim);
    this.updates = new Int32Array(users);
    this.learned = new Int32Array(users);
    this.uploaded = new Int32Array(users);
  }

  /** @returns the (live) user vector of a device */
  vector(user: number): Float32Array {
    return this.vectors.subarray(user * this.userDim, (user + 1) * this.userDim);
  }

  /**
   * Learns from the device's training slates up to (not including) `until`, as the clicks happen,
   * against the catalog version the device holds.
   * @param user - device
   * @param slates - its training slates
   * @param until - slates learned afterwards: `[0, until)`
   * @param projected - the current projected catalog (`count × userDim`)
   * @param bias - the catalog's per-ad score bias (`popularityBias`), if it carries a prior
   */
  learnUntil(
    user: number,
    slates: readonly Slate[],
    until: number,
    projected: Float32Array,
    bias?: Float32Array,
  ): void {
    let u: Float32Array = this.vector(user).slice();
    let n = this.updates[user]!;
    for (let s = this.learned[user]!; s < until; s++) {
      const slate = slates[s]!;
      const rows = gatherRows(projected, this.userDim, slate.items);
      const b = slateBias(bias, slate.items);
      slate.clicked.forEach((c, k) => {
        if (c !== 1) return;
        u =
          slate.items.length > 1
            ? userGradientStep(u, rows, k, b ? { bias: b } : {})
            : emaUpdate(u, rows.subarray(k * this.userDim, (k + 1) * this.userDim), n);
        n++;
      });
    }
    this.vectors.set(u, user * this.userDim);
    this.updates[user] = n;
    this.learned[user] = Math.max(this.learned[user]!, until);
  }

  /**
   * Number of clicks the device could upload now: clicks on slates of two or more ads that it has
   * learned from since its last upload (the client's "usable clicks").
   */
  pendingClicks(user: number, slates: readonly Slate[]): number {
    let count = 0;
    for (let s = this.uploaded[user]!; s < this.learned[user]!; s++) {
      const slate = slates[s]!;
      if (slate.items.length < 2) continue;
      for (const c of slate.clicked) count += c;
    }
    return count;
  }

  /**
   * The device's impressions and clicks per item since its last upload (the slates the next
   * {@link DeviceFleet.roundGradient} covers), as the browser client tallies them from its event
   * log; call it before `roundGradient`, which marks those slates as uploaded.
   * @param user - device
   * @param slates - its training slates
   * @param items - catalog size
   * @returns raw per-item counts (bounding is the upload's, `roundUpdateVector`)
   */
  roundCounts(user: number, slates: readonly Slate[], items: number): DeviceAdCounts {
    const impressions = new Uint32Array(items);
    const clicks = new Uint32Array(items);
    for (let s = this.uploaded[user]!; s < this.learned[user]!; s++) {
      const slate = slates[s]!;
      slate.items.forEach((item, k) => {
        impressions[item]! += 1;
        clicks[item]! += slate.clicked[k]!;
      });
    }
    return { impressions, clicks };
  }

  /**
   * Device-side personalisation ({@link refitUserVector}, what the browser client runs before a
   * round's gradient): `epochs` passes of the click rule over every slate the device has learned
   * from, against the catalog of the current round. The refitted vector is kept, as in the browser.
   * @param user - device
   * @param slates - its training slates
   * @param projected - the round's projected catalog (`count × userDim`)
   * @param epochs - passes over the clicks; 0 leaves the vector as it is
   * @param bias - the catalog's per-ad score bias, if it carries a prior
   */
  personalize(
    user: number,
    slates: readonly Slate[],
    projected: Float32Array,
    epochs: number,
    bias?: Float32Array,
  ): void {
    if (epochs === 0) return;
    const clicks: ProjectedClick[] = [];
    for (let s = 0; s < this.learned[user]!; s++) {
      const slate = slates[s]!;
      if (slate.items.length < 2) continue;
      const rows = gatherRows(projected, this.userDim, slate.items);
      const b = slateBias(bias, slate.items);
      slate.clicked.forEach((c, k) => {
        if (c === 1) clicks.push({ slate: rows, clickedIndex: k, ...(b ? { bias: b } : {}) });
      });
    }
    this.vectors.set(refitUserVector(this.vector(user), clicks, epochs), user * this.userDim);
  }

  /**
   * The device's round gradient: `Σ ∇θ L` over its clicks since its last upload with its current
   * user vector frozen (all zeros without clicks: a sampled device takes part either way). Marks
   * those clicks as uploaded. With `personalizeEpochs` > 0 the vector is first refitted to the
   * round's catalog ({@link DeviceFleet.personalize}).
   * @param user - device
   * @param slates - its training slates
   * @param options - projector of the round, content vectors; for personalisation, the round's
   *   projected catalog and the number of passes; the catalog's per-ad score bias, if any (the
   *   loss and the refit then score `cos + bias`)
   * @returns the gradient and the number of click events in it
   */
  roundGradient(
    user: number,
    slates: readonly Slate[],
    options: {
      projector: Projector;
      content: CatalogContent;
      personalization?: { projected: Float32Array; epochs: number };
      bias?: Float32Array;
    },
  ): { gradient: Float32Array; events: number } {
    const { projector, content, personalization, bias } = options;
    if (personalization !== undefined && personalization.epochs > 0) {
      this.personalize(user, slates, personalization.projected, personalization.epochs, bias);
    }
    const accumulator = new RoundGradientAccumulator(projector);
    const u = this.vector(user).slice();
    let gradient: Float32Array;
    try {
      for (let s = this.uploaded[user]!; s < this.learned[user]!; s++) {
        const slate = slates[s]!;
        if (slate.items.length < 2) continue;
        const slateContent = gatherRows(content.vectors, content.dim, slate.items);
        const b = slateBias(bias, slate.items);
        slate.clicked.forEach((c, k) => {
          if (c !== 1) return;
          accumulator.add({
            user: u,
            slateContent,
            clickedIndex: k,
            ...(b ? { slateBias: b } : {}),
          });
        });
      }
      gradient = accumulator.result();
    } finally {
      accumulator.dispose();
    }
    this.uploaded[user] = this.learned[user]!;
    return { gradient, events: accumulator.eventCount };
  }

  /**
   * The device's upload for a round in a float mode: {@link roundGradient}, clipped to the round's
   * C, noised in local mode, encoded.
   * @param user - device
   * @param slates - its training slates
   * @param options - round config, projector of the round, content vectors, noise source, the
   *   catalog's bias ({@link DeviceFleet.roundGradient})
   * @returns the upload body and the gradient's norm before clipping
   */
  roundUpload(
    user: number,
    slates: readonly Slate[],
    options: {
      config: RoundConfig;
      projector: Projector;
      content: CatalogContent;
      source: RandomSource;
      personalization?: { projected: Float32Array; epochs: number };
      bias?: Float32Array;
      /** The device's per-item counts, when the round asks for them. */
      counts?: DeviceAdCounts;
    },
  ): { body: Uint8Array; preClipNorm: number; events: number } {
    const { config, source, counts } = options;
    const { gradient, events } = this.roundGradient(user, slates, options);
    const encoding = config.acceptedEncodings.includes(UPLOAD_ENCODING) ? UPLOAD_ENCODING : 'f32';
    const upload = privatizeRoundUpdate(config, gradient, {
      encoding,
      source,
      ...(counts ? { counts } : {}),
    });
    return { body: upload.body, preClipNorm: upload.preClipNorm, events };
  }
}
