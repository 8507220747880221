/**
 * Picks the fastest working X25519 backend: WebCrypto when its self-test passes, else
 * `@noble/curves`. Every skipped backend's reason is kept for diagnostics (as the scoring engines
 * do), rather than stopping at the first failure.
 */
import { equalBytes } from './bytes.js';
import type { KeyAgreement } from './key-agreement.js';
import { createNobleKeyAgreement } from './noble-key-agreement.js';
import { createWebCryptoKeyAgreement } from './webcrypto-key-agreement.js';
import type { X25519Subtle } from './webcrypto-key-agreement.js';

/** The outcome of {@link resolveKeyAgreement}. */
export interface KeyAgreementResolution {
  /** The chosen backend. */
  readonly keyAgreement: KeyAgreement;
  /** Faster backends that were skipped, each with the reason. */
  readonly skipped: readonly { readonly name: string; readonly reason: string }[];
}

/** Options of {@link resolveKeyAgreement}. */
export interface ResolveKeyAgreementOptions {
  /**
   * The `SubtleCrypto` to probe; `null` skips WebCrypto.
   * @defaultValue `globalThis.crypto.subtle`
   */
  subtle?: X25519Subtle | null;
}

// RFC 7748 §6.1: Alice's private key, Bob's public key and their shared secret.
const ALICE_PRIVATE = hex('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a');
const BOB_PUBLIC = hex('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f');
const SHARED = hex('4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742');

/**
 * Self-test of a backend: the RFC 7748 vector, and a fresh pair agreeing both ways (this checks
 * key generation and the export/import path of private keys).
 * @param keyAgreement - backend to test
 * @returns nothing; rejects with the failure
 */
export async function probeKeyAgreement(keyAgreement: KeyAgreement): Promise<void> {
  if (!equalBytes(await keyAgreement.agree(ALICE_PRIVATE, BOB_PUBLIC), SHARED)) {
    throw new Error('RFC 7748 test vector mismatch');
  }
  const a = await keyAgreement.generateKeyPair();
  const b = await keyAgreement.generateKeyPair();
  const ab = await keyAgreement.agree(a.privateKey, b.publicKey);
  const ba = await keyAgreement.agree(b.privateKey, a.publicKey);
  if (!equalBytes(ab, ba)) throw new Error('fresh key pairs disagree');
}

/**
 * Resolves the X25519 backend: WebCrypto when present and its {@link probeKeyAgreement} passes,
 * else `@noble/curves` (which never fails).
 * @param options - `subtle` to probe instead of the platform's
 * @returns the backend and why faster ones were skipped
 */
export async function resolveKeyAgreement(
  options: ResolveKeyAgreementOptions = {},
): Promise<KeyAgreementResolution> {
  const skipped: { name: string; reason: string }[] = [];
  if (options.subtle !== null) {
    try {
      const webcrypto = createWebCryptoKeyAgreement(options.subtle);
      await probeKeyAgreement(webcrypto);
      return { keyAgreement: webcrypto, skipped };
    } catch (error) {
      skipped.push({
        name: 'webcrypto',
        reason: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return { keyAgreement: createNobleKeyAgreement(), skipped };
}

function hex(text: string): Uint8Array {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}
