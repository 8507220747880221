/**
 * Strict parsers of the secure-aggregation JSON messages: closed schemas (unknown fields are
 * rejected), canonical base64url of the exact byte length, slots as positive integers, bounded list
 * lengths and no repeated slot within a list. Every failure is a `ProtocolError` (`BAD_HEADER`,
 * `OUT_OF_RANGE` or `OVERSIZE`) naming the field, which the server answers with 400.
 */
import {
  FieldReader,
  NONCE_PATTERN,
  ProtocolError,
  parseJsonBytes,
  parseJsonStrict,
} from '@privads/protocol';

import { fromBase64Url } from './bytes.js';
import { X25519_KEY_BYTES } from './key-agreement.js';
import { SECAGG_DEFAULT_LIMITS } from './limits.js';
import type { SecAggLimits } from './limits.js';
import type {
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
import { SHARE_CIPHERTEXT_BYTES } from './share-encryption.js';
import { SHARE_BYTES } from './shamir.js';

/**
 * The input of every parser: JSON text, UTF-8 JSON bytes, or an already parsed JSON value (e.g. a
 * framework's request body). Text and bytes go through the protocol's strict JSON parser, which also
 * rejects duplicate keys.
 */
export type MessageInput = string | Uint8Array | unknown;

/**
 * Parses a {@link KeysMessage}.
 * @param input - JSON text, bytes or value
 * @param limits - size bounds
 * @defaultValue limits = {@link SECAGG_DEFAULT_LIMITS}
 * @returns the message
 * @throws ProtocolError on any schema violation
 */
export function parseKeysMessage(
  input: MessageInput,
  limits: SecAggLimits = SECAGG_DEFAULT_LIMITS,
): KeysMessage {
  return read(input, 'keys message', limits, (r) => ({
    ticket: ticket(r),
    encryptionKey: bytes(r, 'encryptionKey', X25519_KEY_BYTES),
    maskingKey: bytes(r, 'maskingKey', X25519_KEY_BYTES),
  }));
}

/**
 * Parses a {@link Roster}.
 * @param input - JSON text, bytes or value
 * @param limits - size bounds
 * @defaultValue limits = {@link SECAGG_DEFAULT_LIMITS}
 * @returns the roster
 * @throws ProtocolError on any schema violation or a repeated neighbour
 */
export function parseRoster(
  input: MessageInput,
  limits: SecAggLimits = SECAGG_DEFAULT_LIMITS,
): Roster {
  return read(input, 'roster', limits, (r) => ({
    slot: slot(r, 'slot', limits),
    neighbours: list(r, 'neighbours', limits, 'slot', (e): RosterEntry => ({
      slot: slot(e, 'slot', limits),
      encryptionKey: bytes(e, 'encryptionKey', X25519_KEY_BYTES),
      maskingKey: bytes(e, 'maskingKey', X25519_KEY_BYTES),
    })),
  }));
}

/**
 * Parses a {@link SharesMessage}.
 * @param input - JSON text, bytes or value
 * @param limits - size bounds
 * @defaultValue limits = {@link SECAGG_DEFAULT_LIMITS}
 * @returns the message
 * @throws ProtocolError on any schema violation or a repeated recipient
 */
export function parseSharesMessage(
  input: MessageInput,
  limits: SecAggLimits = SECAGG_DEFAULT_LIMITS,
): SharesMessage {
  return read(input, 'shares message', limits, (r) => ({
    ticket: ticket(r),
    shares: list(r, 'shares', limits, 'to', (e): OutgoingShare => ({
      to: slot(e, 'to', limits),
      ciphertext: bytes(e, 'ciphertext', SHARE_CIPHERTEXT_BYTES),
    })),
  }));
}

/**
 * Parses an {@link Inbox}.
 * @param input - JSON text, bytes or value
 * @param limits - size bounds
 * @defaultValue limits = {@link SECAGG_DEFAULT_LIMITS}
 * @returns the inbox
 * @throws ProtocolError on any schema violation or a repeated sender
 */
export function parseInbox(
  input: MessageInput,
  limits: SecAggLimits = SECAGG_DEFAULT_LIMITS,
): Inbox {
  return read(input, 'inbox', limits, (r) => ({
    shares: list(r, 'shares', limits, 'from', (e): IncomingShare => ({
      from: slot(e, 'from', limits),
      ciphertext: bytes(e, 'ciphertext', SHARE_CIPHERTEXT_BYTES),
    })),
  }));
}

/**
 * Parses an {@link UnmaskRequest}.
 * @param input - JSON text, bytes or value
 * @param limits - size bounds
 * @defaultValue limits = {@link SECAGG_DEFAULT_LIMITS}
 * @returns the request
 * @throws ProtocolError on any schema violation or a slot repeated within a list
 */
export function parseUnmaskRequest(
  input: MessageInput,
  limits: SecAggLimits = SECAGG_DEFAULT_LIMITS,
): UnmaskRequest {
  return read(input, 'unmask request', limits, (r) => ({
    dropped: slotList(r, 'dropped', limits),
    // + 1: the survivors include the device itself besides its neighbours.
    survivors: slotList(r, 'survivors', { ...limits, maxNeighbours: limits.maxNeighbours + 1 }),
  }));
}

/**
 * Parses a {@link RevealMessage}.
 * @param input - JSON text, bytes or value
 * @param limits - size bounds
 * @defaultValue limits = {@link SECAGG_DEFAULT_LIMITS}
 * @returns the message
 * @throws ProtocolError on any schema violation or a slot repeated within a list
 */
export function parseRevealMessage(
  input: MessageInput,
  limits: SecAggLimits = SECAGG_DEFAULT_LIMITS,
): RevealMessage {
  const share = (e: FieldReader): RevealedShare => ({
    of: slot(e, 'of', limits),
    share: bytes(e, 'share', SHARE_BYTES),
  });
  return read(input, 'reveal message', limits, (r) => ({
    ticket: ticket(r),
    maskKeyShares: list(r, 'maskKeyShares', limits, 'of', share),
    seedShares: list(r, 'seedShares', limits, 'of', share),
  }));
}

function read<T>(
  input: MessageInput,
  what: string,
  limits: SecAggLimits,
  body: (reader: FieldReader) => T,
): T {
  let value: unknown = input;
  if (typeof input === 'string' || input instanceof Uint8Array) {
    // Bounded before parsing: JSON.parse of a huge body is the cost to avoid.
    if (input.length > limits.maxTextLength) {
      throw new ProtocolError(
        'OVERSIZE',
        `${what} is ${input.length} long, above the limit ${limits.maxTextLength}`,
      );
    }
    value = typeof input === 'string' ? parseJsonStrict(input, what) : parseJsonBytes(input, what);
  }
  const reader = new FieldReader(value, what);
  const result = body(reader);
  reader.done();
  return result;
}

function ticket(r: FieldReader): string {
  return r.string('ticket', { pattern: NONCE_PATTERN });
}

function slot(r: FieldReader, key: string, limits: SecAggLimits): number {
  return r.integer(key, { min: 1, max: limits.maxSlot });
}

function bytes(r: FieldReader, key: string, length: number): string {
  const text = r.string(key, { maxLength: Math.ceil((length * 4) / 3) });
  if (fromBase64Url(text)?.length !== length) {
    r.fail(key, `canonical unpadded base64url of ${length} bytes`, text);
  }
  return text;
}

// An array of objects, each read through its own closed reader, with `slotKey` unique.
function list<T extends object>(
  r: FieldReader,
  key: string,
  limits: SecAggLimits,
  slotKey: keyof T & string,
  item: (reader: FieldReader) => T,
): T[] {
  const items = r.array(
    key,
    (value, path) => {
      const reader = new FieldReader(value, path);
      const result = item(reader);
      reader.done();
      return result;
    },
    limits.maxNeighbours,
  );
  unique(
    r,
    key,
    items.map((x) => x[slotKey] as number),
  );
  return items;
}

function slotList(r: FieldReader, key: string, limits: SecAggLimits): number[] {
  const slots = r.array(
    key,
    (value, path) => {
      if (
        typeof value !== 'number' ||
        !Number.isSafeInteger(value) ||
        value < 1 ||
        value > limits.maxSlot
      ) {
        throw new ProtocolError(
          'BAD_HEADER',
          `${path} must be a slot (an integer in [1, ${limits.maxSlot}]), got ${String(value)}`,
        );
      }
      return value;
    },
    limits.maxNeighbours,
  );
  unique(r, key, slots);
  return slots;
}

function unique(r: FieldReader, key: string, slots: readonly number[]): void {
  const seen = new Set<number>();
  for (const s of slots) {
    if (seen.has(s)) r.fail(key, 'a list without repeated slots', `slot ${s} twice`);
    seen.add(s);
  }
}
