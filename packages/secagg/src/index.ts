/**
 * `@privads/secagg` — secure aggregation (SecAgg+, Bell et al. 2020) for PrivAds' distributed
 * mode: the server learns only the sum mod 2^bits of the surviving devices' inputs. Transport-free
 * state machines for the device ({@link SecAggDevice}) and the coordinator
 * ({@link SecAggCoordinator}), and their building blocks: X25519 backends, the masking PRG, Shamir
 * sharing over GF(2^521 − 1), the neighbour graph, share encryption and the strict JSON messages.
 * Isomorphic (browsers, workers, Node 20). Errors are the `SecAggError` / `ProtocolError` of
 * `@privads/protocol` plus `TypeError`/`RangeError` for bad arguments. Contract:
 * `docs/secure-aggregation.md`.
 */

// State machines
export { SecAggDevice } from './device.js';
export type { SecAggDeviceOptions, SecAggDevicePhase } from './device.js';
export { SecAggCoordinator } from './coordinator.js';
export type { SecAggCoordinatorOptions, SecAggCounts, SecAggPhase } from './coordinator.js';
export { checkMaskingParameters } from './round-parameters.js';
export type { MaskingParameters } from './round-parameters.js';

// Messages
export type {
  Inbox,
  IncomingShare,
  KeysMessage,
  OutgoingShare,
  RevealMessage,
  RevealedShare,
  Roster,
  RosterEntry,
  SharesMessage,
  UnmaskRequest,
} from './messages.js';
export {
  parseInbox,
  parseKeysMessage,
  parseRevealMessage,
  parseRoster,
  parseSharesMessage,
  parseUnmaskRequest,
} from './parse-messages.js';
export type { MessageInput } from './parse-messages.js';
export { SECAGG_DEFAULT_LIMITS } from './limits.js';
export type { SecAggLimits } from './limits.js';

// Key agreement
export { X25519_KEY_BYTES, publicKeyOf } from './key-agreement.js';
export type { KeyAgreement, KeyPair } from './key-agreement.js';
export { createNobleKeyAgreement } from './noble-key-agreement.js';
export { createWebCryptoKeyAgreement, platformSubtle } from './webcrypto-key-agreement.js';
export type { X25519Subtle } from './webcrypto-key-agreement.js';
export { probeKeyAgreement, resolveKeyAgreement } from './resolve-key-agreement.js';
export type {
  KeyAgreementResolution,
  ResolveKeyAgreementOptions,
} from './resolve-key-agreement.js';

// Building blocks
export { MASK_INFO_LABEL, MAX_MASK_LENGTH, addMask, expandMask } from './mask-prg.js';
export type { MaskContext } from './mask-prg.js';
export { MAX_BITS, MIN_BITS, accumulateModular, bitMask } from './modular-vector.js';
export {
  SECRET_BYTES,
  SHAMIR_PRIME,
  SHARE_BYTES,
  decodeShareValue,
  encodeShareValue,
  reconstructSecret,
  splitSecret,
} from './shamir.js';
export type { ShamirShare } from './shamir.js';
export { buildNeighbourGraph } from './neighbour-graph.js';
export type { NeighbourGraph } from './neighbour-graph.js';
export { SHARE_CIPHERTEXT_BYTES, decryptSharePair, encryptSharePair } from './share-encryption.js';
export type { ShareEnvelope, SharePair } from './share-encryption.js';
export { defaultRandomBytes } from './random.js';
export type { RandomBytes } from './random.js';
export { fromBase64Url } from './bytes.js';
