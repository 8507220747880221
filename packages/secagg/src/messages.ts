/**
 * The JSON bodies of the secure-aggregation HTTP exchange (`docs/secure-aggregation.md`, "HTTP").
 * Bytes travel as canonical unpadded base64url; slots are positive integers. Parse untrusted input
 * with the `parse*` functions of `parse-messages.ts`, never by casting.
 */

/** Phase 1, device → coordinator: the device's two public keys. */
export interface KeysMessage {
  /** The device's ticket (its upload nonce: 16 random bytes, base64url). */
  readonly ticket: string;
  /** c_pk: X25519 public key for share encryption (32 bytes). */
  readonly encryptionKey: string;
  /** s_pk: X25519 public key for pairwise mask agreement (32 bytes). */
  readonly maskingKey: string;
}

/** One neighbour in a {@link Roster}. */
export interface RosterEntry {
  /** The neighbour's slot. */
  readonly slot: number;
  /** Its c_pk (32 bytes). */
  readonly encryptionKey: string;
  /** Its s_pk (32 bytes). */
  readonly maskingKey: string;
}

/** Phase 2, coordinator → device: its slot and its neighbours' public keys. */
export interface Roster {
  /** The device's own slot. */
  readonly slot: number;
  /** Its neighbours, sorted by slot. */
  readonly neighbours: readonly RosterEntry[];
}

/** One encrypted share pair addressed to a neighbour. */
export interface OutgoingShare {
  /** Recipient slot. */
  readonly to: number;
  /** The AEAD ciphertext (`SHARE_CIPHERTEXT_BYTES` bytes). */
  readonly ciphertext: string;
}

/** Phase 2, device → coordinator: one share pair per neighbour. */
export interface SharesMessage {
  /** The sender's ticket. */
  readonly ticket: string;
  /** Exactly one entry per neighbour. */
  readonly shares: readonly OutgoingShare[];
}

/** One encrypted share pair received from a neighbour. */
export interface IncomingShare {
  /** Sender slot. */
  readonly from: number;
  /** The AEAD ciphertext. */
  readonly ciphertext: string;
}

/** Phase 3, coordinator → device: the share pairs its neighbours in U₁ sent it. */
export interface Inbox {
  /** One entry per neighbour in U₁, sorted by sender. */
  readonly shares: readonly IncomingShare[];
}

/** Phase 4, coordinator → device: which of its neighbours dropped and which survived. */
export interface UnmaskRequest {
  /** Neighbours in U₁ \ U₂ (their mask keys are to be revealed). */
  readonly dropped: readonly number[];
  /** Neighbours in U₂ and the device itself (their seeds are to be revealed). */
  readonly survivors: readonly number[];
}

/** One revealed share value. */
export interface RevealedShare {
  /** Whose secret this is a share of (a slot). */
  readonly of: number;
  /** The share value (66 bytes); its x is the revealing device's slot. */
  readonly share: string;
}

/** Phase 4, device → coordinator: shares of dropped neighbours' s_sk and survivors' b. */
export interface RevealMessage {
  /** The revealing device's ticket. */
  readonly ticket: string;
  /** Shares of s_sk_v for every dropped neighbour v. */
  readonly maskKeyShares: readonly RevealedShare[];
  /** Shares of b_w for every surviving neighbour w (never of the device's own seed). */
  readonly seedShares: readonly RevealedShare[];
}
