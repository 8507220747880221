/**
 * CRC-32C (Castagnoli, polynomial 0x1EDC6F41, reflected 0x82F63B78), the checksum of iSCSI, ext4 and
 * Google's storage APIs. Pure TypeScript and synchronous, so decoders stay synchronous in every
 * runtime; it detects corruption, not tampering (bundles travel over HTTPS).
 */

const TABLES = buildTables();

// Slicing-by-4: four 256-entry tables let the loop consume 4 bytes per iteration.
function buildTables(): Uint32Array[] {
  const tables = [0, 1, 2, 3].map(() => new Uint32Array(256));
  const [t0, t1, t2, t3] = tables as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t0[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    const c0 = t0[n] ?? 0;
    const c1 = (t0[c0 & 0xff] ?? 0) ^ (c0 >>> 8);
    const c2 = (t0[c1 & 0xff] ?? 0) ^ (c1 >>> 8);
    t1[n] = c1 >>> 0;
    t2[n] = c2 >>> 0;
    t3[n] = ((t0[c2 & 0xff] ?? 0) ^ (c2 >>> 8)) >>> 0;
  }
  return tables;
}

/**
 * CRC-32C of `bytes`, optionally continuing an earlier checksum.
 * @param bytes - data
 * @param previous - the CRC of the preceding data, to checksum in pieces
 * @defaultValue previous = 0
 * @returns unsigned 32-bit checksum; `crc32c(utf8("123456789")) === 0xe3069283`
 */
export function crc32c(bytes: Uint8Array, previous = 0): number {
  const [t0, t1, t2, t3] = TABLES as [Uint32Array, Uint32Array, Uint32Array, Uint32Array];
  let crc = ~previous >>> 0;
  const n = bytes.length;
  const end4 = n - (n % 4);
  let i = 0;
  for (; i < end4; i += 4) {
    crc ^=
      (bytes[i] ?? 0) |
      ((bytes[i + 1] ?? 0) << 8) |
      ((bytes[i + 2] ?? 0) << 16) |
      ((bytes[i + 3] ?? 0) << 24);
    crc =
      (t3[crc & 0xff] ?? 0) ^
      (t2[(crc >>> 8) & 0xff] ?? 0) ^
      (t1[(crc >>> 16) & 0xff] ?? 0) ^
      (t0[crc >>> 24] ?? 0);
  }
  for (; i < n; i++) crc = (t0[(crc ^ (bytes[i] ?? 0)) & 0xff] ?? 0) ^ (crc >>> 8);
  return ~crc >>> 0;
}
