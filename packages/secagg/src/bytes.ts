/**
 * Byte helpers: strict base64url (the wire form of every key, share and ciphertext) and the
 * length-prefixed encoding of the labels that domain-separate HKDF infos and AEAD associated data.
 */
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { fromBase64Url, toBase64Url } from '@privads/protocol';

export { fromBase64Url, toBase64Url };

/**
 * Concatenates byte arrays.
 * @param parts - arrays in order
 * @returns one new array
 */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Byte-wise equality (not constant-time: only used on public values).
 * @param a - bytes
 * @param b - bytes
 * @returns true when equal
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Encodes a label followed by length-prefixed fields: `label ‖ (u32be(len) ‖ field)*`. Strings are
 * UTF-8, numbers are u32 big-endian; the prefixes keep `("ab","c")` and `("a","bc")` distinct.
 * @param label - fixed ASCII label, e.g. `privads/secagg/v1/mask`
 * @param fields - strings or unsigned 32-bit integers
 * @returns the encoding
 */
export function labelled(label: string, ...fields: readonly (string | number)[]): Uint8Array {
  const parts: Uint8Array[] = [utf8ToBytes(label)];
  for (const field of fields) {
    const bytes = typeof field === 'string' ? utf8ToBytes(field) : u32be(field);
    parts.push(u32be(bytes.length), bytes);
  }
  return concatBytes(...parts);
}

function u32be(value: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0, false);
  return out;
}
