import { describe, expect, it } from 'vitest';

import { ProtocolError, generateNonce, toBase64Url } from '@privads/protocol';
import {
  SHARE_BYTES,
  SHARE_CIPHERTEXT_BYTES,
  parseInbox,
  parseKeysMessage,
  parseRevealMessage,
  parseRoster,
  parseSharesMessage,
  parseUnmaskRequest,
} from '@privads/secagg';

const key = toBase64Url(new Uint8Array(32).fill(5));
const ct = toBase64Url(new Uint8Array(SHARE_CIPHERTEXT_BYTES).fill(6));
const share = toBase64Url(new Uint8Array(SHARE_BYTES).fill(7));
const ticket = generateNonce();

function rejects(parse: (input: unknown) => unknown, input: unknown, code = 'BAD_HEADER'): void {
  try {
    parse(input);
    expect.unreachable();
  } catch (error) {
    expect(error).toBeInstanceOf(ProtocolError);
    expect((error as ProtocolError).code).toBe(code);
  }
}

describe('message parsers', () => {
  it('accept valid messages from values, text and bytes', () => {
    const keys = { ticket, encryptionKey: key, maskingKey: key };
    expect(parseKeysMessage(keys)).toEqual(keys);
    expect(parseKeysMessage(JSON.stringify(keys))).toEqual(keys);
    expect(parseKeysMessage(new TextEncoder().encode(JSON.stringify(keys)))).toEqual(keys);
    const roster = { slot: 2, neighbours: [{ slot: 1, encryptionKey: key, maskingKey: key }] };
    expect(parseRoster(roster)).toEqual(roster);
    const shares = { ticket, shares: [{ to: 1, ciphertext: ct }] };
    expect(parseSharesMessage(shares)).toEqual(shares);
    expect(parseInbox({ shares: [{ from: 1, ciphertext: ct }] })).toEqual({
      shares: [{ from: 1, ciphertext: ct }],
    });
    expect(parseUnmaskRequest({ dropped: [3], survivors: [1, 2] })).toEqual({
      dropped: [3],
      survivors: [1, 2],
    });
    const reveal = { ticket, maskKeyShares: [{ of: 3, share }], seedShares: [] };
    expect(parseRevealMessage(reveal)).toEqual(reveal);
  });

  it('reject unknown fields, bad bytes, bad slots, repeats, duplicate keys and oversize input', () => {
    const keys = { ticket, encryptionKey: key, maskingKey: key };
    rejects(parseKeysMessage, { ...keys, extra: 1 });
    rejects(parseKeysMessage, { ...keys, ticket: 'short' });
    rejects(parseKeysMessage, { ...keys, maskingKey: key.slice(0, -1) });
    rejects(parseKeysMessage, { ...keys, maskingKey: `${key.slice(0, -1)}B` }); // non-canonical tail
    rejects(parseKeysMessage, { ...keys, maskingKey: `${key.slice(0, -1)}+` });
    rejects(
      parseKeysMessage,
      `{"ticket":"${ticket}","ticket":"${ticket}","encryptionKey":"${key}","maskingKey":"${key}"}`,
    );
    rejects(parseKeysMessage, 'x'.repeat(2_000_000), 'OVERSIZE');
    rejects(parseRoster, { slot: 0, neighbours: [] }, 'OUT_OF_RANGE');
    rejects(parseRoster, { slot: 1.5, neighbours: [] });
    rejects(parseRoster, {
      slot: 1,
      neighbours: [{ slot: 2, encryptionKey: key, maskingKey: key, x: 1 }],
    });
    rejects(parseInbox, {
      shares: [
        { from: 1, ciphertext: ct },
        { from: 1, ciphertext: ct },
      ],
    });
    rejects(parseSharesMessage, { ticket, shares: [{ to: 1, ciphertext: ct.slice(4) }] });
    rejects(parseSharesMessage, {
      ticket,
      shares: Array.from({ length: 1025 }, (_, i) => ({ to: i + 1, ciphertext: ct })),
    });
    rejects(parseUnmaskRequest, { dropped: [1, 1], survivors: [] });
    rejects(parseUnmaskRequest, { dropped: ['1'], survivors: [] });
    rejects(parseRevealMessage, { ticket, maskKeyShares: [{ of: 1, share: key }], seedShares: [] });
    rejects(parseRevealMessage, { ticket, maskKeyShares: [] });
  });
});
