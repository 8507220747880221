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
      // Promise-returning (not async) so a throw reaches the caller as a rejection either way.
      try {
        return Promise.resolve(x25519.getSharedSecret(privateRaw, peerPublicRaw));
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    },
  };
}
