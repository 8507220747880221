/**
 * The coordinator side of SecAgg+ as a transport- and store-free state machine. The server owns
 * deadlines (it calls the `close*` methods), the HTTP layer and the modular sum of the masked
 * inputs; this class decides who is in each set (cohort, U₁ = posted shares, U₂ = posted input,
 * U₃ = revealed), routes the encrypted shares and finally removes the masks. Every method checks
 * its whole message before touching any state, so one bad message throws a typed `SecAggError` and
 * changes nothing.
 */
import { SecAggError, isValidNonce } from '@privads/protocol';

import { equalBytes, fromBase64Url } from './bytes.js';
import { decodePublicKey, publicKeyOf } from './key-agreement.js';
import type { KeyAgreement } from './key-agreement.js';
import { addMask } from './mask-prg.js';
import type {
  Inbox,
  KeysMessage,
  RevealMessage,
  Roster,
  SharesMessage,
  UnmaskRequest,
} from './messages.js';
import { bitMask } from './modular-vector.js';
import { buildNeighbourGraph } from './neighbour-graph.js';
import type { NeighbourGraph } from './neighbour-graph.js';
import { defaultRandomBytes, shuffled } from './random.js';
import type { RandomBytes } from './random.js';
import { resolveKeyAgreement } from './resolve-key-agreement.js';
import { PAIR_MASK, SELF_MASK, checkMaskingParameters } from './round-parameters.js';
import type { MaskingParameters } from './round-parameters.js';
import { SHARE_CIPHERTEXT_BYTES } from './share-encryption.js';
import { decodeShareValue, reconstructSecret } from './shamir.js';
import type { ShamirShare } from './shamir.js';

/** Options of {@link SecAggCoordinator}. */
export interface SecAggCoordinatorOptions extends MaskingParameters {
  /** k: neighbours per device, even, with threshold ≤ k < 2·threshold. */
  readonly degree: number;
  /** Most devices admitted in the keys phase. */
  readonly maxCohort: number;
  /** kMin: fewer devices at any close aborts the round; ≥ threshold + 1. */
  readonly minInputs: number;
  /**
   * Randomness of the slot assignment and the ring order.
   * @defaultValue the platform CSPRNG
   */
  readonly random?: RandomBytes;
  /**
   * X25519 backend used by {@link SecAggCoordinator.finish}.
   * @defaultValue the result of `resolveKeyAgreement()`
   */
  readonly keyAgreement?: KeyAgreement;
}

/** Phases of a round; `done` after a successful finish, `aborted` after too few devices. */
export type SecAggPhase = 'keys' | 'shares' | 'input' | 'unmask' | 'done' | 'aborted';

/** Counts for status reporting. */
export interface SecAggCounts {
  /** Devices that posted keys. */
  readonly keys: number;
  /** Devices that posted shares (U₁ once the shares phase is closed). */
  readonly shares: number;
  /** Devices admitted with an input (U₂ once the input phase is closed). */
  readonly inputs: number;
  /** Devices that revealed (U₃). */
  readonly reveals: number;
}

interface Member {
  readonly ticket: string;
  readonly keys: KeysMessage;
  readonly maskingKey: Uint8Array;
}

/** The coordinator of one secure-aggregation round. */
export class SecAggCoordinator {
  private currentPhase: SecAggPhase = 'keys';
  private finishing = false;
  private readonly params: MaskingParameters;
  private readonly degree: number;
  private readonly maxCohort: number;
  private readonly minInputs: number;
  private readonly random: RandomBytes;
  private keyAgreement: KeyAgreement | undefined;

  private readonly keysByTicket = new Map<string, KeysMessage>();
  private readonly usedKeys = new Set<string>();
  private readonly slotByTicket = new Map<string, number>();
  private readonly members = new Map<number, Member>();
  private graph: NeighbourGraph = new Map();
  /** Ciphertexts by sender, then recipient. */
  private readonly sharesBySender = new Map<number, ReadonlyMap<number, string>>();
  private readonly sharesMessages = new Map<number, string>();
  private committedSet: ReadonlySet<number> = new Set();
  private readonly inputSet = new Set<number>();
  private survivorSet: ReadonlySet<number> = new Set();
  private readonly revealMessages = new Map<number, string>();
  /** Revealed share values by whose secret, then by revealer slot (the share's x). */
  private readonly maskKeyShares = new Map<number, Map<number, bigint>>();
  private readonly seedShares = new Map<number, Map<number, bigint>>();

  /**
   * @param options - round parameters, graph degree, cohort bounds, optional randomness/backend
   * @throws RangeError on inconsistent parameters, quoting the value
   */
  constructor(options: SecAggCoordinatorOptions) {
    const { roundId, bits, length, threshold, degree, maxCohort, minInputs } = options;
    this.params = { roundId, bits, length, threshold };
    checkMaskingParameters(this.params);
    if (!Number.isInteger(degree) || degree < 2 || degree % 2 !== 0) {
      throw new RangeError(`degree must be an even integer ≥ 2, got ${degree}`);
    }
    // threshold > degree/2: a lying coordinator cannot collect t shares of s_sk_v from one group
    // of v's neighbours and t shares of b_v from another, disjoint group.
    if (threshold > degree || 2 * threshold <= degree) {
      throw new RangeError(
        `threshold must lie in (degree/2, degree] = (${degree / 2}, ${degree}], got ${threshold}`,
      );
    }
    if (!Number.isInteger(minInputs) || minInputs < threshold + 1) {
      throw new RangeError(
        `minInputs must be an integer ≥ threshold + 1 = ${threshold + 1}, got ${minInputs}`,
      );
    }
    if (!Number.isInteger(maxCohort) || maxCohort < minInputs || maxCohort > 1 << 20) {
      throw new RangeError(`maxCohort must be an integer in [minInputs, 2^20], got ${maxCohort}`);
    }
    this.degree = degree;
    this.maxCohort = maxCohort;
    this.minInputs = minInputs;
    this.random = options.random ?? defaultRandomBytes;
    this.keyAgreement = options.keyAgreement;
  }

  /** The current phase. */
  get phase(): SecAggPhase {
    return this.currentPhase;
  }

  /** Whether the keys phase holds `maxCohort` devices (the server may close it early). */
  get isFull(): boolean {
    return this.keysByTicket.size >= this.maxCohort;
  }

  /** How many devices reached each step. */
  get counts(): SecAggCounts {
    return {
      keys: this.keysByTicket.size,
      shares: this.sharesBySender.size,
      inputs: this.inputSet.size,
      reveals: this.revealMessages.size,
    };
  }

  /** The cohort's size n once slots are assigned (0 before). */
  get cohortSize(): number {
    return this.members.size;
  }

  /** U₁: slots that posted shares (sorted; final once the shares phase closed). */
  get committedSlots(): readonly number[] {
    return sortedSlots(
      this.currentPhase === 'shares' ? this.sharesBySender.keys() : this.committedSet,
    );
  }

  /** U₂: slots admitted with an input (sorted; final once the input phase closed). */
  get inputSlots(): readonly number[] {
    return sortedSlots(this.inputSet);
  }

  /** U₁ \ U₂ once the input phase closed (sorted). */
  get droppedSlots(): readonly number[] {
    if (this.currentPhase !== 'unmask' && this.currentPhase !== 'done') return [];
    return sortedSlots([...this.committedSet].filter((s) => !this.survivorSet.has(s)));
  }

  /** U₃: slots that revealed (sorted). */
  get revealedSlots(): readonly number[] {
    return sortedSlots(this.revealMessages.keys());
  }

  /**
   * The slot of a ticket, once assigned.
   * @param ticket - a device's ticket
   * @returns its slot, or `undefined`
   */
  slotOf(ticket: string): number | undefined {
    return this.slotByTicket.get(ticket);
  }

  /**
   * Keys phase: admits a device's public keys. A repeat of the same message is a no-op.
   * @param message - a parsed keys message
   * @throws SecAggError `SECAGG_WRONG_PHASE` after the keys phase; `SECAGG_CONFLICTING_REQUEST`
   *   for a known ticket with other keys; `SECAGG_BAD_MESSAGE` for a bad ticket or key, a key
   *   already used in this round, or a full cohort
   */
  addKeys(message: KeysMessage): void {
    this.expectPhase('keys');
    if (!isValidNonce(message.ticket))
      throw new SecAggError('SECAGG_BAD_MESSAGE', 'ticket is not a nonce');
    const previous = this.keysByTicket.get(message.ticket);
    if (previous) {
      if (
        previous.encryptionKey === message.encryptionKey &&
        previous.maskingKey === message.maskingKey
      )
        return;
      throw new SecAggError('SECAGG_CONFLICTING_REQUEST', 'this ticket already posted other keys');
    }
    decodePublicKey(message.encryptionKey, 'encryptionKey');
    decodePublicKey(message.maskingKey, 'maskingKey');
    if (
      message.encryptionKey === message.maskingKey ||
      this.usedKeys.has(message.encryptionKey) ||
      this.usedKeys.has(message.maskingKey)
    ) {
      throw new SecAggError('SECAGG_BAD_MESSAGE', 'a public key is already used in this round');
    }
    if (this.isFull)
      throw new SecAggError('SECAGG_BAD_MESSAGE', `the cohort is full (${this.maxCohort})`);
    this.keysByTicket.set(message.ticket, {
      ticket: message.ticket,
      encryptionKey: message.encryptionKey,
      maskingKey: message.maskingKey,
    });
    this.usedKeys.add(message.encryptionKey).add(message.maskingKey);
  }

  /**
   * Ends the keys phase: assigns slots 1..n by a random permutation of the tickets and builds the
   * neighbour graph over another random ring order.
   * @throws SecAggError `SECAGG_WRONG_PHASE`; `SECAGG_TOO_FEW` (and the round is aborted) with fewer
   *   than `minInputs` devices
   */
  closeKeys(): void {
    this.expectPhase('keys');
    const n = this.keysByTicket.size;
    if (n < this.minInputs)
      this.abort(`${n} devices posted keys, below minInputs ${this.minInputs}`);
    const tickets = shuffled([...this.keysByTicket.keys()], this.random);
    tickets.forEach((ticket, i) => {
      const keys = this.keysByTicket.get(ticket) as KeysMessage;
      this.slotByTicket.set(ticket, i + 1);
      this.members.set(i + 1, {
        ticket,
        keys,
        maskingKey: decodePublicKey(keys.maskingKey, 'maskingKey'),
      });
    });
    const ring = shuffled(
      Array.from({ length: n }, (_, i) => i + 1),
      this.random,
    );
    this.graph = buildNeighbourGraph(n, this.degree, ring);
    this.currentPhase = 'shares';
  }

  /**
   * A device's slot and its neighbours' public keys.
   * @param ticket - the device's ticket
   * @returns the roster
   * @throws SecAggError `SECAGG_WRONG_PHASE` in the keys phase or after an abort;
   *   `SECAGG_UNKNOWN_TICKET`
   */
  roster(ticket: string): Roster {
    this.expectPhase('shares', 'input', 'unmask', 'done');
    const slot = this.slotFor(ticket);
    return {
      slot,
      neighbours: this.neighboursOf(slot).map((v) => {
        const { keys } = this.members.get(v) as Member;
        return { slot: v, encryptionKey: keys.encryptionKey, maskingKey: keys.maskingKey };
      }),
    };
  }

  /**
   * Shares phase: stores one device's encrypted share pairs, exactly one per neighbour. A repeat of
   * the same message is a no-op.
   * @param message - a parsed shares message
   * @throws SecAggError `SECAGG_WRONG_PHASE`; `SECAGG_UNKNOWN_TICKET`; `SECAGG_CONFLICTING_REQUEST`
   *   for a second, different message; `SECAGG_BAD_MESSAGE` for a share to a non-neighbour, a
   *   neighbour missing or listed twice, or a ciphertext of the wrong size
   */
  addShares(message: SharesMessage): void {
    this.expectPhase('shares');
    const slot = this.slotFor(message.ticket);
    const text = JSON.stringify(message.shares);
    const previous = this.sharesMessages.get(slot);
    if (previous !== undefined) {
      if (previous === text) return;
      throw new SecAggError(
        'SECAGG_CONFLICTING_REQUEST',
        `slot ${slot} already posted other shares`,
      );
    }
    const neighbours = new Set(this.neighboursOf(slot));
    const byRecipient = new Map<number, string>();
    for (const { to, ciphertext } of message.shares) {
      if (!neighbours.has(to))
        throw new SecAggError(
          'SECAGG_BAD_MESSAGE',
          `slot ${to} is not a neighbour of slot ${slot}`,
        );
      if (byRecipient.has(to))
        throw new SecAggError('SECAGG_BAD_MESSAGE', `two shares for slot ${to}`);
      if (fromBase64Url(ciphertext)?.length !== SHARE_CIPHERTEXT_BYTES) {
        throw new SecAggError(
          'SECAGG_BAD_MESSAGE',
          `the share for slot ${to} is not ${SHARE_CIPHERTEXT_BYTES} bytes`,
        );
      }
      byRecipient.set(to, ciphertext);
    }
    if (byRecipient.size !== neighbours.size) {
      throw new SecAggError(
        'SECAGG_BAD_MESSAGE',
        `slot ${slot} sent ${byRecipient.size} shares for ${neighbours.size} neighbours`,
      );
    }
    this.sharesBySender.set(slot, byRecipient);
    this.sharesMessages.set(slot, text);
  }

  /**
   * Ends the shares phase: U₁ is the set of devices that posted shares.
   * @throws SecAggError `SECAGG_WRONG_PHASE`; `SECAGG_TOO_FEW` (round aborted) when |U₁| is below
   *   max(threshold, minInputs): U₂ ⊆ U₁ could never reach it
   */
  closeShares(): void {
    this.expectPhase('shares');
    const committed = new Set(this.sharesBySender.keys());
    const floor = Math.max(this.params.threshold, this.minInputs);
    if (committed.size < floor)
      this.abort(`${committed.size} devices posted shares, below ${floor}`);
    this.committedSet = committed;
    this.currentPhase = 'input';
  }

  /**
   * The share pairs addressed to a device by its neighbours in U₁.
   * @param ticket - the device's ticket
   * @returns its inbox, sorted by sender
   * @throws SecAggError `SECAGG_WRONG_PHASE` before the input phase; `SECAGG_UNKNOWN_TICKET`;
   *   `SECAGG_DROPPED` for a device not in U₁
   */
  inbox(ticket: string): Inbox {
    this.expectPhase('input', 'unmask', 'done');
    const slot = this.slotFor(ticket);
    if (!this.committedSet.has(slot))
      throw new SecAggError('SECAGG_DROPPED', `slot ${slot} posted no shares`);
    return {
      shares: this.neighboursOf(slot)
        .filter((v) => this.committedSet.has(v))
        .map((from) => ({ from, ciphertext: this.sharesBySender.get(from)?.get(slot) as string })),
    };
  }

  /**
   * Input phase: admits one masked input per device of U₁ (the server adds the vector to its sum
   * only after this returns).
   * @param ticket - the uploading device's ticket
   * @returns the device's slot
   * @throws SecAggError `SECAGG_WRONG_PHASE`; `SECAGG_UNKNOWN_TICKET`; `SECAGG_DROPPED` for a device
   *   not in U₁; `SECAGG_CONFLICTING_REQUEST` for a second input
   */
  admitInput(ticket: string): number {
    const slot = this.checkInput(ticket);
    this.inputSet.add(slot);
    return slot;
  }

  /**
   * Whether {@link SecAggCoordinator.admitInput} would admit a ticket now, changing nothing. Constant
   * time: a server calls it on every upload, so it must not grow with the cohort.
   * @param ticket - the uploading device's ticket
   * @returns the device's slot
   * @throws SecAggError as {@link SecAggCoordinator.admitInput}
   */
  checkInput(ticket: string): number {
    this.expectPhase('input');
    const slot = this.slotFor(ticket);
    if (!this.committedSet.has(slot))
      throw new SecAggError('SECAGG_DROPPED', `slot ${slot} posted no shares`);
    if (this.inputSet.has(slot)) {
      throw new SecAggError('SECAGG_CONFLICTING_REQUEST', `slot ${slot} already posted an input`);
    }
    return slot;
  }

  /**
   * Ends the input phase: U₂ is the set of admitted inputs.
   * @throws SecAggError `SECAGG_WRONG_PHASE`; `SECAGG_TOO_FEW` (round aborted, nothing released)
   *   when |U₂| < max(threshold, minInputs)
   */
  closeInputs(): void {
    this.expectPhase('input');
    const floor = Math.max(this.params.threshold, this.minInputs);
    if (this.inputSet.size < floor) this.abort(`${this.inputSet.size} inputs, below ${floor}`);
    this.survivorSet = new Set(this.inputSet);
    this.currentPhase = 'unmask';
  }

  /**
   * Which of a surviving device's neighbours dropped (U₁ \ U₂) and which survived (U₂, with itself).
   * @param ticket - the device's ticket
   * @returns the request
   * @throws SecAggError `SECAGG_WRONG_PHASE`; `SECAGG_UNKNOWN_TICKET`; `SECAGG_DROPPED` for a device
   *   not in U₂
   */
  unmaskRequest(ticket: string): UnmaskRequest {
    this.expectPhase('unmask');
    return this.requestFor(this.survivorSlot(ticket));
  }

  /**
   * Unmask phase: stores a survivor's revealed shares; the lists must match its
   * {@link unmaskRequest} exactly. A repeat of the same message is a no-op.
   * @param message - a parsed reveal message
   * @throws SecAggError `SECAGG_WRONG_PHASE`; `SECAGG_UNKNOWN_TICKET`; `SECAGG_DROPPED`;
   *   `SECAGG_CONFLICTING_REQUEST` for a second, different message; `SECAGG_BAD_MESSAGE` when the
   *   shares do not answer the request or a share value is not a field element
   */
  addReveal(message: RevealMessage): void {
    this.expectPhase('unmask');
    const slot = this.survivorSlot(message.ticket);
    const text = JSON.stringify([message.maskKeyShares, message.seedShares]);
    const previous = this.revealMessages.get(slot);
    if (previous !== undefined) {
      if (previous === text) return;
      throw new SecAggError(
        'SECAGG_CONFLICTING_REQUEST',
        `slot ${slot} already revealed other shares`,
      );
    }
    const request = this.requestFor(slot);
    const maskKeys = decodeReveal(message.maskKeyShares, request.dropped, 'maskKeyShares');
    const seeds = decodeReveal(
      message.seedShares,
      request.survivors.filter((s) => s !== slot),
      'seedShares',
    );
    for (const [of, y] of maskKeys) mapOf(this.maskKeyShares, of).set(slot, y);
    for (const [of, y] of seeds) mapOf(this.seedShares, of).set(slot, y);
    this.revealMessages.set(slot, text);
  }

  /**
   * Whether every secret {@link finish} needs has at least `threshold` revealed shares: the seed of
   * each survivor, and the mask key of each dropped device that has a surviving neighbour.
   * @returns true when finish can reconstruct (shares could still be corrupt)
   */
  canFinish(): boolean {
    return this.currentPhase === 'unmask' && this.missingSecrets().length === 0;
  }

  /**
   * Removes the masks from the server's modular sum of the survivors' masked inputs: reconstructs
   * s_sk of each dropped device (checked against its public key) and subtracts its pairwise masks
   * with its surviving neighbours, then reconstructs b of each survivor and subtracts its self
   * mask. On failure nothing changes, and the server may retry after more reveals.
   * @param maskedSum - Σ_{u ∈ U₂} y_u mod 2^bits, `length` words
   * @returns Σ_{u ∈ U₂} x_u mod 2^bits (a new array); the phase becomes `done`
   * @throws SecAggError `SECAGG_WRONG_PHASE`; `SECAGG_RECONSTRUCTION_FAILED` when a secret has
   *   fewer than t shares, inconsistent shares, or a mask key that does not match its public key
   * @throws RangeError when `maskedSum` has the wrong length or a value ≥ 2^bits
   */
  async finish(maskedSum: Uint32Array): Promise<Uint32Array> {
    this.expectPhase('unmask');
    if (this.finishing) throw new SecAggError('SECAGG_WRONG_PHASE', 'finish is already running');
    const { bits, length, threshold, roundId } = this.params;
    if (maskedSum.length !== length)
      throw new RangeError(`maskedSum must have ${length} words, got ${maskedSum.length}`);
    const m = bitMask(bits);
    if (maskedSum.some((v) => v > m))
      throw new RangeError(`maskedSum has a value not below 2^${bits}`);
    const missing = this.missingSecrets();
    if (missing.length > 0) {
      throw new SecAggError(
        'SECAGG_RECONSTRUCTION_FAILED',
        `fewer than ${threshold} shares of: ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`,
      );
    }
    this.finishing = true;
    try {
      const keyAgreement = this.keyAgreement ?? (await resolveKeyAgreement()).keyAgreement;
      this.keyAgreement = keyAgreement;
      const dropped = this.droppedNeedingUnmask();
      const maskKeys = await Promise.all(
        dropped.map(async (v) => {
          const secret = reconstruct(this.maskKeyShares.get(v), threshold, `mask key of slot ${v}`);
          const publicKey = await publicKeyOf(keyAgreement, secret);
          if (!equalBytes(publicKey, (this.members.get(v) as Member).maskingKey)) {
            throw new SecAggError(
              'SECAGG_RECONSTRUCTION_FAILED',
              `the mask key of slot ${v} does not match its public key`,
            );
          }
          return { v, secret };
        }),
      );
      const seeds = [...this.survivorSet].map((u) => ({
        u,
        seed: reconstruct(this.seedShares.get(u), threshold, `seed of slot ${u}`),
      }));
      const pairs = (
        await Promise.all(
          maskKeys.map(async ({ v, secret }) => {
            const survivors = this.neighboursOf(v).filter((u) => this.survivorSet.has(u));
            const agreed = await keyAgreement.agreeEach(
              secret,
              survivors.map((u) => (this.members.get(u) as Member).maskingKey),
            );
            return survivors.map((u, i) => ({ u, v, agreed: agreed[i] as Uint8Array }));
          }),
        )
      ).flat();
      const sum = maskedSum.slice();
      for (const { u, v, agreed } of pairs) {
        // u added +PRG when u < v: undo with the opposite sign.
        addMask(sum, agreed, { roundId, purpose: PAIR_MASK }, u < v ? -1 : 1, bits);
      }
      for (const { seed } of seeds) addMask(sum, seed, { roundId, purpose: SELF_MASK }, -1, bits);
      this.currentPhase = 'done';
      return sum;
    } finally {
      this.finishing = false;
    }
  }

  private requestFor(slot: number): UnmaskRequest {
    const neighbours = this.neighboursOf(slot).filter((v) => this.committedSet.has(v));
    return {
      dropped: neighbours.filter((v) => !this.survivorSet.has(v)),
      survivors: [...neighbours.filter((v) => this.survivorSet.has(v)), slot].sort((a, b) => a - b),
    };
  }

  private droppedNeedingUnmask(): number[] {
    return sortedSlots(
      [...this.committedSet].filter(
        (v) =>
          !this.survivorSet.has(v) && this.neighboursOf(v).some((u) => this.survivorSet.has(u)),
      ),
    );
  }

  private missingSecrets(): string[] {
    const t = this.params.threshold;
    const missing: string[] = [];
    for (const v of this.droppedNeedingUnmask()) {
      if ((this.maskKeyShares.get(v)?.size ?? 0) < t) missing.push(`mask key of slot ${v}`);
    }
    for (const u of sortedSlots(this.survivorSet)) {
      if ((this.seedShares.get(u)?.size ?? 0) < t) missing.push(`seed of slot ${u}`);
    }
    return missing;
  }

  private neighboursOf(slot: number): readonly number[] {
    return this.graph.get(slot) ?? [];
  }

  private slotFor(ticket: string): number {
    const slot = this.slotByTicket.get(ticket);
    if (slot === undefined)
      throw new SecAggError('SECAGG_UNKNOWN_TICKET', 'ticket not admitted to this round');
    return slot;
  }

  private survivorSlot(ticket: string): number {
    const slot = this.slotFor(ticket);
    if (!this.survivorSet.has(slot))
      throw new SecAggError('SECAGG_DROPPED', `slot ${slot} posted no input`);
    return slot;
  }

  private expectPhase(...phases: readonly SecAggPhase[]): void {
    if (!phases.includes(this.currentPhase)) {
      throw new SecAggError(
        'SECAGG_WRONG_PHASE',
        `the round is in phase ${this.currentPhase}, not ${phases.join(' or ')}`,
      );
    }
  }

  private abort(why: string): never {
    this.currentPhase = 'aborted';
    throw new SecAggError('SECAGG_TOO_FEW', `round aborted: ${why}`);
  }
}

// Checks that a reveal answers exactly `expected` and decodes its share values.
function decodeReveal(
  shares: readonly { of: number; share: string }[],
  expected: readonly number[],
  what: string,
): Map<number, bigint> {
  const wanted = new Set(expected);
  const out = new Map<number, bigint>();
  for (const { of, share } of shares) {
    if (!wanted.has(of) || out.has(of)) {
      throw new SecAggError(
        'SECAGG_BAD_MESSAGE',
        `${what} holds an unrequested or repeated share of slot ${of}`,
      );
    }
    const bytes = fromBase64Url(share);
    const y = bytes === undefined ? undefined : decodeShareValue(bytes);
    if (y === undefined)
      throw new SecAggError(
        'SECAGG_BAD_MESSAGE',
        `${what}: the share of slot ${of} is not a field element`,
      );
    out.set(of, y);
  }
  if (out.size !== wanted.size) {
    throw new SecAggError(
      'SECAGG_BAD_MESSAGE',
      `${what} answers ${out.size} of ${wanted.size} requested slots`,
    );
  }
  return out;
}

function reconstruct(
  shares: ReadonlyMap<number, bigint> | undefined,
  threshold: number,
  what: string,
): Uint8Array {
  const points: ShamirShare[] = [...(shares ?? new Map<number, bigint>())].map(([x, y]) => ({
    x,
    y,
  }));
  try {
    return reconstructSecret(points, threshold);
  } catch (cause) {
    throw new SecAggError('SECAGG_RECONSTRUCTION_FAILED', `cannot reconstruct the ${what}`, {
      cause,
    });
  }
}

function mapOf(outer: Map<number, Map<number, bigint>>, key: number): Map<number, bigint> {
  let inner = outer.get(key);
  if (!inner) outer.set(key, (inner = new Map()));
  return inner;
}

function sortedSlots(slots: Iterable<number>): number[] {
  return [...slots].sort((a, b) => a - b);
}
