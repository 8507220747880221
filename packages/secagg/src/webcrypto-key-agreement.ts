/**
 * X25519 through the platform's WebCrypto (`crypto.subtle`): native code in Node 20 and current
 * browsers. Private keys leave WebCrypto as raw bytes (JWK `d`) so that they can be Shamir-shared,
 * and come back in through PKCS #8, the one private-key format every implementation imports.
 */
import { concatBytes, fromBase64Url } from './bytes.js';
import { X25519_KEY_BYTES } from './key-agreement.js';
import type { KeyAgreement, KeyPair } from './key-agreement.js';

/** An opaque WebCrypto key. */
type OpaqueKey = object;

/** The part of `SubtleCrypto` this backend uses, typed locally so the package needs no DOM lib. */
export interface X25519Subtle {
  /** `subtle.generateKey({ name: 'X25519' }, true, ['deriveBits'])`. */
  generateKey(
    algorithm: { name: 'X25519' },
    extractable: boolean,
    usages: readonly string[],
  ): Promise<{ publicKey: OpaqueKey; privateKey: OpaqueKey }>;
  /** `subtle.exportKey('raw' | 'jwk', key)`. */
  exportKey(format: 'raw', key: OpaqueKey): Promise<ArrayBuffer>;
  exportKey(format: 'jwk', key: OpaqueKey): Promise<{ d?: string }>;
  /** `subtle.importKey('raw' | 'pkcs8', bytes, { name: 'X25519' }, false, usages)`. */
  importKey(
    format: 'raw' | 'pkcs8',
    keyData: Uint8Array,
    algorithm: { name: 'X25519' },
    extractable: boolean,
    usages: readonly string[],
  ): Promise<OpaqueKey>;
  /** `subtle.deriveBits({ name: 'X25519', public }, privateKey, 256)`. */
  deriveBits(
    algorithm: { name: 'X25519'; public: OpaqueKey },
    baseKey: OpaqueKey,
    length: number,
  ): Promise<ArrayBuffer>;
}

const X25519 = { name: 'X25519' } as const;

// RFC 8410 PrivateKeyInfo for X25519: SEQUENCE { INTEGER 0, AlgorithmIdentifier { 1.3.101.110 },
// OCTET STRING { OCTET STRING (32 bytes) } }. Only the last 32 bytes vary.
const PKCS8_PREFIX = new Uint8Array([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20,
]);

/**
 * The platform's `crypto.subtle`, or `undefined` where there is none (old browsers, insecure
 * contexts).
 * @returns the subtle object, typed for X25519 use
 */
export function platformSubtle(): X25519Subtle | undefined {
  const crypto = (globalThis as { crypto?: { subtle?: X25519Subtle } }).crypto;
  return crypto?.subtle;
}

/**
 * The WebCrypto backend. It does not check that the platform supports X25519: that is
 * {@link resolveKeyAgreement}'s probe.
 * @param subtle - a `SubtleCrypto`
 * @defaultValue subtle = `globalThis.crypto.subtle`
 * @returns a {@link KeyAgreement} named `webcrypto`
 * @throws TypeError when no `subtle` is given and the platform has none
 */
export function createWebCryptoKeyAgreement(
  subtle: X25519Subtle | undefined = platformSubtle(),
): KeyAgreement {
  if (subtle === undefined) throw new TypeError('crypto.subtle is not available on this platform');
  const api: X25519Subtle = subtle;
  return {
    name: 'webcrypto',
    async generateKeyPair(): Promise<KeyPair> {
      // Extractable: the private key must be exported to be Shamir-shared.
      const pair = await subtle.generateKey(X25519, true, ['deriveBits']);
      const publicKey = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
      const jwk = await subtle.exportKey('jwk', pair.privateKey);
      const privateKey = jwk.d === undefined ? undefined : fromBase64Url(jwk.d);
      if (privateKey?.length !== X25519_KEY_BYTES || publicKey.length !== X25519_KEY_BYTES) {
        throw new Error('WebCrypto exported an X25519 key of unexpected size');
      }
      return { publicKey, privateKey };
    },
    async agree(privateRaw, peerPublicRaw): Promise<Uint8Array> {
      return (await agreeEach(privateRaw, [peerPublicRaw]))[0] as Uint8Array;
    },
    agreeEach,
  };
  async function agreeEach(
    privateRaw: Uint8Array,
    peerPublicRaws: readonly Uint8Array[],
  ): Promise<Uint8Array[]> {
    checkKeyLength(privateRaw, 'private');
    for (const peer of peerPublicRaws) checkKeyLength(peer, 'public');
    // Importing a private key derives its public key (a scalar multiplication): once per call,
    // not once per peer.
    const privateKey = await api.importKey(
      'pkcs8',
      concatBytes(PKCS8_PREFIX, privateRaw),
      X25519,
      false,
      ['deriveBits'],
    );
    return Promise.all(
      peerPublicRaws.map(async (peer) => {
        const publicKey = await api.importKey('raw', peer, X25519, false, []);
        return new Uint8Array(
          await api.deriveBits({ ...X25519, public: publicKey }, privateKey, 256),
        );
      }),
    );
  }
}

function checkKeyLength(key: Uint8Array, what: string): void {
  if (key.length !== X25519_KEY_BYTES) {
    throw new RangeError(`X25519 ${what} key must be ${X25519_KEY_BYTES} bytes, got ${key.length}`);
  }
}
