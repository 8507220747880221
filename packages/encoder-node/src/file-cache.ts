import { open, type FileHandle } from 'node:fs/promises';
import { StorageError } from '@privads/protocol';
import type { EncodingCache } from '@privads/encoder';

const MAGIC = 0x43454150; // "PAEC" little-endian
const VERSION = 1;
const HEADER_BYTES = 16;
const KEY_BYTES = 32;
const FLUSH_EVERY = 256;

/** A persistent {@link EncodingCache} in one append-only file (see docs/encoder.md, "Cache"). */
export interface FileEncodingCache extends EncodingCache {
  /** Path of the file. */
  readonly path: string;
  /** Vector dimension of every entry. */
  readonly dim: number;
  /** Number of stored vectors. */
  readonly size: number;
  /** Writes buffered entries to the file. */
  flush(): Promise<void>;
  /** Flushes and closes the file; the cache cannot be used afterwards. */
  close(): Promise<void>;
}

/**
 * Opens (or creates) a file cache of `dim`-float vectors. Layout: a 16-byte header (`PAEC`,
 * version 1, dim, 0) then records of a 32-byte SHA-256 key and `dim` little-endian float32s. Only
 * the keys and offsets are held in memory, so a million-ad catalog costs about 100 MB of index,
 * not its vectors. A torn last record (a crash mid-write) is dropped on open.
 * @param path - file path
 * @param options - `dim`: the encoder's dimension
 * @returns the cache (call `close()` when done)
 * @throws {@link StorageError} `STORAGE_CORRUPT` when the file is not a cache or holds another dimension
 */
export async function openFileEncodingCache(
  path: string,
  options: { readonly dim: number },
): Promise<FileEncodingCache> {
  const { dim } = options;
  if (!Number.isInteger(dim) || dim < 1)
    throw new RangeError(`dim must be an integer ≥ 1, got ${dim}`);
  const recordBytes = KEY_BYTES + dim * 4;
  const fh: FileHandle = await open(path, 'a+');
  const index = new Map<string, number>();
  const pending = new Map<string, Float32Array>();
  let size: number;
  try {
    size = (await fh.stat()).size;
    if (size === 0) {
      const header = Buffer.alloc(HEADER_BYTES);
      header.writeUInt32LE(MAGIC, 0);
      header.writeUInt32LE(VERSION, 4);
      header.writeUInt32LE(dim, 8);
      await fh.write(header, 0, HEADER_BYTES, 0);
      size = HEADER_BYTES;
    } else {
      const header = Buffer.alloc(HEADER_BYTES);
      const { bytesRead } = await fh.read(header, 0, HEADER_BYTES, 0);
      if (
        bytesRead < HEADER_BYTES ||
        header.readUInt32LE(0) !== MAGIC ||
        header.readUInt32LE(4) !== VERSION
      ) {
        throw new StorageError(
          'STORAGE_CORRUPT',
          `${path} is not a PrivAds encoding cache (version ${VERSION})`,
        );
      }
      const fileDim = header.readUInt32LE(8);
      if (fileDim !== dim) {
        throw new StorageError(
          'STORAGE_CORRUPT',
          `${path} holds ${fileDim}-dimensional vectors; this encoder has dim ${dim}`,
        );
      }
      const count = Math.floor((size - HEADER_BYTES) / recordBytes);
      // Read records in blocks of ~4 MiB: one syscall per block, not per key.
      const perBlock = Math.max(1, Math.floor((4 << 20) / recordBytes));
      const block = Buffer.alloc(perBlock * recordBytes);
      for (let first = 0; first < count; first += perBlock) {
        const n = Math.min(perBlock, count - first);
        const start = HEADER_BYTES + first * recordBytes;
        await fh.read(block, 0, n * recordBytes, start);
        for (let i = 0; i < n; i++) {
          const at = i * recordBytes;
          index.set(block.toString('hex', at, at + KEY_BYTES), start + at + KEY_BYTES);
        }
      }
      const whole = HEADER_BYTES + count * recordBytes;
      if (whole !== size) {
        await fh.truncate(whole);
        size = whole;
      }
    }
  } catch (error) {
    await fh.close();
    throw error;
  }

  let closed = false;
  const ensureOpen = () => {
    if (closed) throw new StorageError('STORAGE_UNAVAILABLE', `encoding cache ${path} is closed`);
  };
  const flush = async () => {
    if (pending.size === 0) return;
    const buffer = Buffer.alloc(pending.size * recordBytes);
    let at = 0;
    const written: [string, number][] = [];
    for (const [key, vector] of pending) {
      buffer.write(key, at, 'hex');
      for (let d = 0; d < dim; d++)
        buffer.writeFloatLE(vector[d] as number, at + KEY_BYTES + d * 4);
      written.push([key, size + at + KEY_BYTES]);
      at += recordBytes;
    }
    await fh.write(buffer, 0, buffer.length, size);
    size += buffer.length;
    for (const [key, offset] of written) index.set(key, offset);
    pending.clear();
  };

  return {
    path,
    dim,
    get size() {
      return index.size + pending.size;
    },
    async get(key) {
      ensureOpen();
      const buffered = pending.get(key);
      if (buffered !== undefined) return buffered.slice();
      const offset = index.get(key);
      if (offset === undefined) return undefined;
      const bytes = Buffer.alloc(dim * 4);
      await fh.read(bytes, 0, bytes.length, offset);
      const vector = new Float32Array(dim);
      for (let d = 0; d < dim; d++) vector[d] = bytes.readFloatLE(d * 4);
      return vector;
    },
    async set(key, vector) {
      ensureOpen();
      if (!/^[0-9a-f]{64}$/.test(key))
        throw new TypeError(
          `cache key must be 64 lowercase hex characters, got ${JSON.stringify(key)}`,
        );
      if (vector.length !== dim)
        throw new RangeError(`vector must have ${dim} floats, got ${vector.length}`);
      if (index.has(key)) return;
      pending.set(key, vector.slice());
      if (pending.size >= FLUSH_EVERY) await flush();
    },
    async flush() {
      ensureOpen();
      await flush();
    },
    async close() {
      if (closed) return;
      await flush();
      closed = true;
      await fh.close();
    },
  };
}
