/**
 * The device side of SecAgg+ as a transport-free state machine: the caller moves its messages over
 * HTTP (or a simulator moves them in memory). Each step checks what the coordinator sent against
 * what the device already saw, and a request that could unmask this device's neighbours — both
 * secrets of one peer, a peer outside the device's inbox — is refused with
 * `SECAGG_CONFLICTING_REQUEST`. A refused step changes nothing.
 */
import { SecAggError, isValidNonce } from '@privads/protocol';

import { fromBase64Url, toBase64Url } from './bytes.js';
import { decodePublicKey } from './key-agreement.js';
import type { KeyAgreement, KeyPair } from './key-agreement.js';
import { addMask } from './mask-prg.js';
import type {
  Inbox,
  KeysMessage,
  RevealMessage,
  RevealedShare,
  Roster,
  SharesMessage,
  UnmaskRequest,
} from './messages.js';
import { bitMask } from './modular-vector.js';
import { defaultRandomBytes } from './random.js';
import type { RandomBytes } from './random.js';
import { resolveKeyAgreement } from './resolve-key-agreement.js';
import { PAIR_MASK, SELF_MASK, checkMaskingParameters } from './round-parameters.js';
import type { MaskingParameters } from './round-parameters.js';
import { decryptSharePair, encryptSharePair } from './share-encryption.js';
import type { SharePair } from './share-encryption.js';
import { decodeShareValue, encodeShareValue, splitSecret } from './shamir.js';

/** Options of {@link SecAggDevice.create}. */
export interface SecAggDeviceOptions extends MaskingParameters {
  /** The device's ticket for the round: its upload nonce (16 random bytes, base64url). */
  readonly ticket: string;
  /**
   * X25519 backend.
   * @defaultValue the result of `resolveKeyAgreement()`
   */
  readonly keyAgreement?: KeyAgreement;
  /**
   * Randomness for the seed, Shamir coefficients and nonces.
   * @defaultValue the platform CSPRNG
   */
  readonly random?: RandomBytes;
}

/** Where a device is in its round. */
export type SecAggDevicePhase = 'keys' | 'shared' | 'masked';

interface Neighbour {
  readonly encryptionKey: Uint8Array;
  readonly maskingKey: Uint8Array;
}

interface SharedState {
  readonly rosterKey: string;
  readonly slot: number;
  readonly neighbours: ReadonlyMap<number, Neighbour>;
  readonly message: SharesMessage;
}

interface MaskedState {
  readonly inboxKey: string;
  readonly input: Uint32Array;
  readonly output: Uint32Array;
  /** Decrypted share pairs by sender slot: exactly the neighbours in U₁. */
  readonly received: ReadonlyMap<number, SharePair>;
}

type Secret = 'maskKey' | 'seed';

/** One device's view of one secure-aggregation round. */
export class SecAggDevice {
  private shared: SharedState | undefined;
  private masked: MaskedState | undefined;
  /** Which secret of each peer this device has revealed: never both. */
  private readonly revealed = new Map<number, Secret>();

  private constructor(
    private readonly params: MaskingParameters,
    /** This device's ticket. */
    readonly ticket: string,
    private readonly keyAgreement: KeyAgreement,
    private readonly random: RandomBytes,
    private readonly encryptionKeys: KeyPair,
    private readonly maskingKeys: KeyPair,
    private readonly seed: Uint8Array,
  ) {}

  /**
   * Starts a round: makes the two key pairs and the self-mask seed.
   * @param options - round parameters, ticket, optional backend and randomness
   * @returns the device, in phase `keys`
   * @throws RangeError on bad parameters; TypeError on a ticket that is not a nonce
   */
  static async create(options: SecAggDeviceOptions): Promise<SecAggDevice> {
    const params: MaskingParameters = {
      roundId: options.roundId,
      bits: options.bits,
      length: options.length,
      threshold: options.threshold,
    };
    checkMaskingParameters(params);
    if (!isValidNonce(options.ticket)) {
      throw new TypeError(
        `ticket must be a 16-byte base64url nonce, got ${JSON.stringify(options.ticket)}`,
      );
    }
    const keyAgreement = options.keyAgreement ?? (await resolveKeyAgreement()).keyAgreement;
    const random = options.random ?? defaultRandomBytes;
    const [encryptionKeys, maskingKeys] = await Promise.all([
      keyAgreement.generateKeyPair(),
      keyAgreement.generateKeyPair(),
    ]);
    return new SecAggDevice(
      params,
      options.ticket,
      keyAgreement,
      random,
      encryptionKeys,
      maskingKeys,
      random(32).slice(),
    );
  }

  /** `keys` until {@link shareKeys}, `shared` until {@link maskInput}, then `masked`. */
  get phase(): SecAggDevicePhase {
    return this.masked ? 'masked' : this.shared ? 'shared' : 'keys';
  }

  /** The slot the roster assigned, once known. */
  get slot(): number | undefined {
    return this.shared?.slot;
  }

  /**
   * Phase 1: the public keys to post.
   * @returns the keys message
   */
  advertise(): KeysMessage {
    return {
      ticket: this.ticket,
      encryptionKey: toBase64Url(this.encryptionKeys.publicKey),
      maskingKey: toBase64Url(this.maskingKeys.publicKey),
    };
  }

  /**
   * Phase 2: Shamir-shares s_sk and b among the roster's neighbours (threshold t) and encrypts each
   * neighbour's pair of shares to it. Repeating the call with the same roster returns the same
   * message (a retry); another roster is refused.
   * @param roster - slot and neighbours from the coordinator
   * @returns the shares message to post
   * @throws SecAggError `SECAGG_CONFLICTING_REQUEST` for a second, different roster;
   *   `SECAGG_TOO_FEW` with fewer than t neighbours; `SECAGG_BAD_MESSAGE` for a roster that lists
   *   the device itself, bad keys, or 2t or more neighbours (then t ≤ k/2 and two disjoint groups
   *   of neighbours could each be asked for one secret of this device)
   */
  async shareKeys(roster: Roster): Promise<SharesMessage> {
    const rosterKey = JSON.stringify(roster);
    if (this.shared) {
      if (this.shared.rosterKey === rosterKey) return this.shared.message;
      throw new SecAggError(
        'SECAGG_CONFLICTING_REQUEST',
        'a different roster was already answered',
      );
    }
    const { threshold, roundId } = this.params;
    const neighbours = new Map<number, Neighbour>();
    for (const entry of roster.neighbours) {
      if (entry.slot === roster.slot || neighbours.has(entry.slot)) {
        throw new SecAggError('SECAGG_BAD_MESSAGE', `roster lists slot ${entry.slot} twice`);
      }
      neighbours.set(entry.slot, {
        encryptionKey: decodePublicKey(entry.encryptionKey, `slot ${entry.slot}'s encryption key`),
        maskingKey: decodePublicKey(entry.maskingKey, `slot ${entry.slot}'s masking key`),
      });
    }
    if (neighbours.size < threshold) {
      throw new SecAggError(
        'SECAGG_TOO_FEW',
        `roster has ${neighbours.size} neighbours, below the threshold ${threshold}`,
      );
    }
    if (neighbours.size >= 2 * threshold) {
      throw new SecAggError(
        'SECAGG_BAD_MESSAGE',
        `roster has ${neighbours.size} neighbours: the threshold ${threshold} must exceed half of them`,
      );
    }
    const slots = [...neighbours.keys()].sort((a, b) => a - b);
    const keyShares = splitSecret(this.maskingKeys.privateKey, slots, threshold, this.random);
    const seedShares = splitSecret(this.seed, slots, threshold, this.random);
    const sharedSecrets = await this.keyAgreement.agreeEach(
      this.encryptionKeys.privateKey,
      slots.map((to) => (neighbours.get(to) as Neighbour).encryptionKey),
    );
    const shares = slots.map((to, i) => {
      const sharedSecret = sharedSecrets[i] as Uint8Array;
      const pair: SharePair = {
        maskKeyShare: encodeShareValue((keyShares[i] as { y: bigint }).y),
        seedShare: encodeShareValue((seedShares[i] as { y: bigint }).y),
      };
      const ciphertext = encryptSharePair(
        { sharedSecret, roundId, from: roster.slot, to },
        pair,
        this.random,
      );
      return { to, ciphertext: toBase64Url(ciphertext) };
    });
    const message: SharesMessage = { ticket: this.ticket, shares };
    this.shared = { rosterKey, slot: roster.slot, neighbours, message };
    return message;
  }

  /**
   * Phase 3: decrypts the inbox and masks the input:
   * y = x + PRG(b) + Σ_{v ∈ inbox} ±PRG(X25519(s_sk, s_pk_v)) mod 2^bits, + when own slot < v.
   * Masking twice would hand the coordinator the difference of two inputs, so a second call is
   * answered only when inbox and input are identical (with the same output).
   * @param inbox - share pairs from the neighbours in U₁
   * @param input - `length` words, each < 2^bits
   * @returns the masked vector (a new array) to upload
   * @throws SecAggError `SECAGG_WRONG_PHASE` before {@link shareKeys};
   *   `SECAGG_CONFLICTING_REQUEST` on a second, different call; `SECAGG_BAD_MESSAGE` for a sender
   *   that is not a neighbour; `SECAGG_TOO_FEW` with fewer than t senders;
   *   `SECAGG_DECRYPTION_FAILED` when a ciphertext fails authentication
   * @throws RangeError when the input has the wrong length or a value ≥ 2^bits
   */
  async maskInput(inbox: Inbox, input: Uint32Array): Promise<Uint32Array> {
    const shared = this.shared;
    if (!shared) throw new SecAggError('SECAGG_WRONG_PHASE', 'maskInput before shareKeys');
    const { bits, length, threshold, roundId } = this.params;
    checkInput(input, length, bits);
    const inboxKey = JSON.stringify(inbox);
    if (this.masked) {
      if (this.masked.inboxKey === inboxKey && sameWords(this.masked.input, input)) {
        return this.masked.output.slice();
      }
      throw new SecAggError('SECAGG_CONFLICTING_REQUEST', 'this device already masked an input');
    }
    const senders = new Set<number>();
    for (const { from } of inbox.shares) {
      if (!shared.neighbours.has(from)) {
        throw new SecAggError(
          'SECAGG_BAD_MESSAGE',
          `inbox holds shares from slot ${from}, not a neighbour`,
        );
      }
      if (senders.has(from))
        throw new SecAggError('SECAGG_BAD_MESSAGE', `inbox lists slot ${from} twice`);
      senders.add(from);
    }
    if (senders.size < threshold) {
      throw new SecAggError(
        'SECAGG_TOO_FEW',
        `only ${senders.size} neighbours sent shares, below the threshold ${threshold}`,
      );
    }
    const received = new Map<number, SharePair>();
    const peers = inbox.shares.map(({ from }) => shared.neighbours.get(from) as Neighbour);
    const [encryptionSecrets, maskSecrets] = await Promise.all([
      this.keyAgreement.agreeEach(
        this.encryptionKeys.privateKey,
        peers.map((peer) => peer.encryptionKey),
      ),
      this.keyAgreement.agreeEach(
        this.maskingKeys.privateKey,
        peers.map((peer) => peer.maskingKey),
      ),
    ]);
    const pairSecrets = inbox.shares.map(({ from, ciphertext }, i) => {
      const encryptionSecret = encryptionSecrets[i] as Uint8Array;
      const maskSecret = maskSecrets[i] as Uint8Array;
      const bytes = fromBase64Url(ciphertext) ?? new Uint8Array(0);
      const pair = decryptSharePair(
        { sharedSecret: encryptionSecret, roundId, from, to: shared.slot },
        bytes,
      );
      if (
        decodeShareValue(pair.maskKeyShare) === undefined ||
        decodeShareValue(pair.seedShare) === undefined
      ) {
        throw new SecAggError('SECAGG_BAD_MESSAGE', `slot ${from} sent a share outside the field`);
      }
      received.set(from, pair);
      return { from, maskSecret };
    });
    const output = input.slice();
    addMask(output, this.seed, { roundId, purpose: SELF_MASK }, 1, bits);
    for (const { from, maskSecret } of pairSecrets) {
      addMask(
        output,
        maskSecret,
        { roundId, purpose: PAIR_MASK },
        shared.slot < from ? 1 : -1,
        bits,
      );
    }
    this.masked = { inboxKey, input: input.slice(), output, received };
    return output.slice();
  }

  /**
   * Phase 4: reveals shares of s_sk_v for each dropped neighbour and of b_w for each surviving one.
   * The lists must partition exactly the senders of the inbox plus this device among the
   * survivors, and agree with every earlier answer: no peer ever gets both secrets revealed.
   * @param request - dropped and surviving slots from the coordinator
   * @returns the reveal message to post
   * @throws SecAggError `SECAGG_WRONG_PHASE` before {@link maskInput};
   *   `SECAGG_CONFLICTING_REQUEST` when the lists overlap, omit this device from the survivors,
   *   list it as dropped, name a non-neighbour or a peer that sent no shares, leave out a sender,
   *   or contradict an earlier request
   */
  reveal(request: UnmaskRequest): RevealMessage {
    const masked = this.masked;
    const shared = this.shared;
    if (!masked || !shared) throw new SecAggError('SECAGG_WRONG_PHASE', 'reveal before maskInput');
    const self = shared.slot;
    const refuse = (why: string): never => {
      throw new SecAggError('SECAGG_CONFLICTING_REQUEST', `refusing to reveal: ${why}`);
    };
    const wanted = new Map<number, Secret>();
    for (const v of request.dropped) {
      if (v === self) refuse('this device is listed as dropped');
      if (wanted.has(v)) refuse(`slot ${v} is listed twice`);
      wanted.set(v, 'maskKey');
    }
    let selfListed = false;
    for (const w of request.survivors) {
      if (w === self) {
        selfListed = true;
        continue;
      }
      if (wanted.get(w) === 'maskKey') refuse(`slot ${w} is listed both dropped and surviving`);
      if (wanted.has(w)) refuse(`slot ${w} is listed twice`);
      wanted.set(w, 'seed');
    }
    if (!selfListed) refuse('the survivors omit this device');
    for (const [peer, secret] of wanted) {
      if (!shared.neighbours.has(peer)) refuse(`slot ${peer} is not a neighbour`);
      if (!masked.received.has(peer)) refuse(`slot ${peer} never sent shares to this device`);
      const earlier = this.revealed.get(peer);
      if (earlier !== undefined && earlier !== secret) {
        refuse(`the other secret of slot ${peer} was already revealed`);
      }
    }
    for (const sender of masked.received.keys()) {
      if (!wanted.has(sender))
        refuse(`slot ${sender} sent shares but is neither dropped nor surviving`);
    }
    const maskKeyShares: RevealedShare[] = [];
    const seedShares: RevealedShare[] = [];
    for (const [peer, secret] of [...wanted].sort((a, b) => a[0] - b[0])) {
      const pair = masked.received.get(peer) as SharePair;
      this.revealed.set(peer, secret);
      if (secret === 'maskKey')
        maskKeyShares.push({ of: peer, share: toBase64Url(pair.maskKeyShare) });
      else seedShares.push({ of: peer, share: toBase64Url(pair.seedShare) });
    }
    return { ticket: this.ticket, maskKeyShares, seedShares };
  }
}

function checkInput(input: Uint32Array, length: number, bits: number): void {
  if (input.length !== length) {
    throw new RangeError(`input must have ${length} words, got ${input.length}`);
  }
  const m = bitMask(bits);
  for (let i = 0; i < input.length; i++) {
    if ((input[i] as number) > m) {
      throw new RangeError(`input[${i}] = ${input[i]} is not below 2^${bits}`);
    }
  }
}

function sameWords(a: Uint32Array, b: Uint32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
