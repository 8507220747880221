import { describe, expect, it } from 'vitest';

import {
  createNobleKeyAgreement,
  createWebCryptoKeyAgreement,
  probeKeyAgreement,
  publicKeyOf,
  resolveKeyAgreement,
} from '@privads/secagg';
import type { X25519Subtle } from '@privads/secagg';

const backends = [createNobleKeyAgreement(), createWebCryptoKeyAgreement()];

describe.each(backends)('KeyAgreement $name', (backend) => {
  it('passes the RFC 7748 self-test and derives public keys from private ones', async () => {
    await probeKeyAgreement(backend);
    const pair = await backend.generateKeyPair();
    expect(pair.publicKey).toHaveLength(32);
    expect(pair.privateKey).toHaveLength(32);
    expect(await publicKeyOf(backend, pair.privateKey)).toEqual(pair.publicKey);
  });
});

describe('WebCrypto and noble agree', () => {
  it('give identical shared secrets on keys made by either backend', async () => {
    const [noble, web] = backends as [(typeof backends)[0], (typeof backends)[0]];
    for (let i = 0; i < 5; i++) {
      const a = await noble.generateKeyPair();
      const b = await web.generateKeyPair();
      const viaNoble = await noble.agree(a.privateKey, b.publicKey);
      expect(await web.agree(a.privateKey, b.publicKey)).toEqual(viaNoble);
      expect(await web.agree(b.privateKey, a.publicKey)).toEqual(viaNoble);
      expect(await noble.agree(b.privateKey, a.publicKey)).toEqual(viaNoble);
    }
  });
});

describe.each(backends)('KeyAgreement $name agreeEach', (backend) => {
  it('gives agree() with each peer, in order, and rejects a bad key', async () => {
    const own = await backend.generateKeyPair();
    const peers = await Promise.all([0, 1, 2, 3].map(() => backend.generateKeyPair()));
    const each = await backend.agreeEach(
      own.privateKey,
      peers.map((p) => p.publicKey),
    );
    expect(each).toEqual(
      await Promise.all(peers.map((p) => backend.agree(own.privateKey, p.publicKey))),
    );
    expect(await backend.agreeEach(own.privateKey, [])).toEqual([]);
    await expect(
      backend.agreeEach(own.privateKey, [peers[0]!.publicKey, new Uint8Array(31)]),
    ).rejects.toThrow();
    // A low-order point (u = 0) gives an all-zero secret, which X25519 implementations refuse.
    await expect(
      backend.agreeEach(own.privateKey, [peers[0]!.publicKey, new Uint8Array(32)]),
    ).rejects.toThrow();
  });
});

describe('resolveKeyAgreement', () => {
  it('picks WebCrypto in Node 20', async () => {
    const { keyAgreement, skipped } = await resolveKeyAgreement();
    expect(keyAgreement.name).toBe('webcrypto');
    expect(skipped).toEqual([]);
  });

  it('falls back to noble and records why', async () => {
    expect((await resolveKeyAgreement({ subtle: null })).keyAgreement.name).toBe('noble');
    const broken = {
      generateKey: () => Promise.reject(new Error('X25519 unsupported')),
      importKey: () => Promise.reject(new Error('X25519 unsupported')),
    } as unknown as X25519Subtle;
    const { keyAgreement, skipped } = await resolveKeyAgreement({ subtle: broken });
    expect(keyAgreement.name).toBe('noble');
    expect(skipped).toEqual([{ name: 'webcrypto', reason: 'X25519 unsupported' }]);
  });
});
