/** X25519 in pure JavaScript (`@noble/curves`, audited): works everywhere, slower than WebCrypto. */
import { x25519 } from '@noble/curves/ed25519.js';

import type { KeyAgreement, KeyPair } from './key-agreement.js';

/**
 * The `@noble/curves` backend.
 * @returns a {@link KeyAgreement} named `noble`
 */
export function createNobleKeyAgreement(): KeyAgreement {
  return {
    name: 'noble',
    generateKeyPair(): Promise<KeyPair> {
      const { secretKey, publicKey } = x25519.keygen();
      return Promise.resolve({ publicKey, privateKey: secretKey });
    },
    agree(privateRaw, peerPublicRaw): Promise<Uint8Array> {
      return settle(() => x25519.getSharedSecret(privateRaw, peerPublicRaw));
    },
    agreeEach(privateRaw, peerPublicRaws): Promise<Uint8Array[]> {
      return settle(() => peerPublicRaws.map((peer) => x25519.getSharedSecret(privateRaw, peer)));
    },
  };
}

/** Promise-returning (not async) so a throw reaches the caller as a rejection either way. */
function settle<T>(run: () => T): Promise<T> {
  try {
    return Promise.resolve(run());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
