/**
 * The embedded store's write-ahead log: numbered records appended to segment files, with group
 * commit. Appends that arrive while a write is in flight are batched into the next write, and each
 * batch is one `write` plus one `fdatasync`; a record's promise resolves only after its batch is on
 * disk and the record has been applied to memory. So an answer sent after `append` resolves is
 * never lost, and memory only ever reflects durable records.
 *
 * Frame: `u32 LE payloadLength`, `u32 LE crc32(payload)`, payload = `u32 LE metaLength`, UTF-8
 * JSON meta (with the record's `lsn`), binary data. A crash can only tear the last frame of the
 * last segment (its writer never acknowledged it); recovery truncates it. Any other damage is
 * reported as `STORAGE_CORRUPT` rather than skipped.
 */
import { open, readdir, readFile, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { crc32 } from 'node:zlib';

import { StorageError } from '@privads/protocol';

import { fsyncDirectory } from './durable-file.js';

/** A record as read back. */
export interface LogRecord {
  /** Log sequence number (1, 2, …, gap-free). */
  lsn: number;
  /** The JSON part. */
  meta: Record<string, unknown>;
  /** The binary part. */
  data: Uint8Array;
}

/** A record's frame: a prefix and the data, written as they lie. */
interface Framed {
  parts: Uint8Array[];
  bytes: number;
}

/** A record's content, known at append or only once its batch is written. */
type Content = Framed | (() => { meta: Record<string, unknown>; data: Uint8Array });

type Item =
  | {
      type: 'record';
      lsn: number;
      content: Content;
      /** `performance.now()` before which a record sealed later is not written (0: at once). */
      gatherUntil: number;
      apply: (lsn: number) => void;
      resolve: (lsn: number) => void;
      reject: (error: unknown) => void;
    }
  | {
      type: 'barrier';
      run: () => Promise<void>;
      resolve: () => void;
      reject: (error: unknown) => void;
    };

const SEGMENT = /^wal-(\d{20})\.log$/;
const segmentName = (firstLsn: number): string => `wal-${String(firstLsn).padStart(20, '0')}.log`;
/** Most bytes written in one batch. */
const MAX_BATCH_BYTES = 32 * 1024 * 1024;

/**
 * The frame of one record as two buffers, prefix and data: the data (an upload body, hundreds of
 * kilobytes) is written from where it lies with `writev`, never copied into a frame.
 */
function frame(meta: Record<string, unknown>, data: Uint8Array): Framed {
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  const payloadLength = 4 + json.length + data.length;
  const prefix = Buffer.allocUnsafe(12 + json.length);
  prefix.writeUInt32LE(payloadLength, 0);
  prefix.writeUInt32LE(json.length, 8);
  json.copy(prefix, 12);
  prefix.writeUInt32LE(crc32(data, crc32(prefix.subarray(8))), 4);
  return { parts: data.length > 0 ? [prefix, data] : [prefix], bytes: 8 + payloadLength };
}

/** Writes every byte of `parts`, in order, at the end of the file (writev may write less). */
async function writeAll(handle: FileHandle, parts: Uint8Array[]): Promise<void> {
  let rest = parts;
  while (rest.length > 0) {
    let { bytesWritten } = await handle.writev(rest);
    let i = 0;
    while (i < rest.length && bytesWritten >= (rest[i] as Uint8Array).length) {
      bytesWritten -= (rest[i] as Uint8Array).length;
      i++;
    }
    rest = rest.slice(i);
    if (bytesWritten > 0) rest[0] = (rest[0] as Uint8Array).subarray(bytesWritten);
  }
}

/** Parses the frames of one segment; returns the records and the length of the intact prefix. */
function parseSegment(bytes: Buffer): { records: LogRecord[]; intact: number } {
  const records: LogRecord[] = [];
  let at = 0;
  while (at + 8 <= bytes.length) {
    const length = bytes.readUInt32LE(at);
    const end = at + 8 + length;
    if (length < 4 || end > bytes.length) break;
    const payload = bytes.subarray(at + 8, end);
    if (crc32(payload) !== bytes.readUInt32LE(at + 4)) break;
    const metaLength = payload.readUInt32LE(0);
    if (4 + metaLength > payload.length) break;
    let meta: Record<string, unknown>;
    try {
      meta = JSON.parse(payload.toString('utf8', 4, 4 + metaLength)) as Record<string, unknown>;
    } catch {
      break;
    }
    // A plain Uint8Array view, not a Buffer: `Buffer#slice` does not copy, and decoders that copy
    // with `slice` to get an aligned typed array would otherwise get an unaligned view.
    const data = new Uint8Array(
      payload.buffer,
      payload.byteOffset + 4 + metaLength,
      payload.length - 4 - metaLength,
    );
    records.push({ lsn: Number(meta.lsn), meta, data });
    at = end;
  }
  return { records, intact: at };
}

/** Durations the log reports (for metrics). */
export type CommitObserver = (seconds: number, records: number) => void;

/** An open write-ahead log. */
export class WriteAheadLog {
  readonly #dir: string;
  #handle: FileHandle;
  #segmentBytes: number;
  #nextLsn: number;
  /** Last lsn on disk. */
  #writtenLsn: number;
  #queue: Item[] = [];
  #pumping = false;
  #failure: unknown;
  readonly #observe: CommitObserver;

  private constructor(
    dir: string,
    handle: FileHandle,
    bytes: number,
    nextLsn: number,
    observe: CommitObserver,
  ) {
    this.#dir = dir;
    this.#handle = handle;
    this.#segmentBytes = bytes;
    this.#nextLsn = nextLsn;
    this.#writtenLsn = nextLsn - 1;
    this.#observe = observe;
  }

  /**
   * Opens the log in `dir`, replaying every record after `afterLsn` (in order) and truncating a
   * torn final frame.
   * @param dir - the store directory
   * @param afterLsn - the last record already reflected by the snapshot
   * @param replay - called for each newer record, in order
   * @param observe - receives the duration of each durable batch
   * @returns the log, ready to append
   * @throws StorageError `STORAGE_CORRUPT` for a gap in the sequence or damage before the tail
   */
  static async open(
    dir: string,
    afterLsn: number,
    replay: (record: LogRecord) => void,
    observe: CommitObserver = () => undefined,
  ): Promise<WriteAheadLog> {
    const segments = (await readdir(dir))
      .map((name) => SEGMENT.exec(name))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ name: m[0], start: Number(m[1]) }))
      .sort((a, b) => a.start - b.start);
    let last = afterLsn;
    let tail = { start: afterLsn + 1, bytes: 0 };
    for (const [i, segment] of segments.entries()) {
      const path = join(dir, segment.name);
      const bytes = await readFile(path);
      const { records, intact } = parseSegment(bytes);
      const isLast = i === segments.length - 1;
      if (intact < bytes.length) {
        if (!isLast) {
          throw new StorageError(
            'STORAGE_CORRUPT',
            `${path} is damaged at byte ${intact} (not the tail)`,
          );
        }
        await truncate(path, intact);
      }
      for (const record of records) {
        if (record.lsn <= afterLsn) continue;
        if (record.lsn !== last + 1) {
          throw new StorageError(
            'STORAGE_CORRUPT',
            `${path}: record ${record.lsn} follows ${last}`,
          );
        }
        replay(record);
        last = record.lsn;
      }
      if (isLast) tail = { start: segment.start, bytes: intact };
    }
    if (segments.length > 0 && last < afterLsn) {
      throw new StorageError(
        'STORAGE_CORRUPT',
        `the log ends at ${last}, before the snapshot's ${afterLsn}`,
      );
    }
    const handle = await open(join(dir, segmentName(tail.start)), 'a');
    await fsyncDirectory(dir);
    return new WriteAheadLog(dir, handle, tail.bytes, Math.max(last, afterLsn) + 1, observe);
  }

  /** Bytes in the current segment (written and queued). */
  get segmentBytes(): number {
    return this.#segmentBytes;
  }

  /** Set once a write failed; every later append fails with it. */
  get failure(): unknown {
    return this.#failure;
  }

  /**
   * Appends a record. `apply` runs (synchronously, in log order) right after the record is
   * durable and before the promise resolves.
   * @param meta - JSON part (`lsn` is added)
   * @param data - binary part
   * @param apply - updates memory to include the record
   * @returns the record's lsn, once durable and applied
   * @throws StorageError `STORAGE_UNAVAILABLE` after a failed write (the log is then read-only until restart)
   */
  append(
    meta: Record<string, unknown>,
    data: Uint8Array,
    apply: (lsn: number) => void,
  ): Promise<number> {
    if (this.#failure !== undefined) return Promise.reject(this.#unavailable());
    const lsn = this.#nextLsn++;
    const framed = frame({ ...meta, lsn }, data);
    this.#segmentBytes += framed.bytes;
    return this.#enqueue(lsn, framed, apply);
  }

  /**
   * Appends a record whose content is fixed only when its batch is written: `seal` runs once, just
   * before the write, so the caller can keep adding to the record while it waits (the embedded
   * store sums masked uploads this way). With `gatherMs`, the log waits that long before writing
   * such a record when it reaches the head of the queue (as PostgreSQL's `commit_delay`), so that
   * more join it: one write and one `fdatasync` then serve them all. Otherwise as
   * {@link WriteAheadLog.append}.
   * @param seal - returns the record's JSON part (`lsn` is added) and binary part; must not throw
   *   (a throw fails the log like a failed write: a record's lsn can never be skipped)
   * @param apply - updates memory to include the record
   * @param gatherMs - how long the record may wait for company, in ms (default 0)
   * @returns the record's lsn, once durable and applied
   * @throws StorageError `STORAGE_UNAVAILABLE` after a failed write
   */
  appendSealedLater(
    seal: () => { meta: Record<string, unknown>; data: Uint8Array },
    apply: (lsn: number) => void,
    gatherMs = 0,
  ): Promise<number> {
    if (this.#failure !== undefined) return Promise.reject(this.#unavailable());
    const gatherUntil = gatherMs > 0 ? performance.now() + gatherMs : 0;
    return this.#enqueue(this.#nextLsn++, seal, apply, gatherUntil);
  }

  #enqueue(
    lsn: number,
    content: Content,
    apply: (lsn: number) => void,
    gatherUntil = 0,
  ): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.#queue.push({ type: 'record', lsn, content, gatherUntil, apply, resolve, reject });
      this.#pump();
    });
  }

  /**
   * Runs `run` after every record appended before this call is durable and applied, and before
   * any record appended after it is written (e.g. to capture a consistent snapshot).
   * @param run - the exclusive section
   * @returns when `run` has finished
   */
  barrier(run: () => Promise<void>): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#unavailable());
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ type: 'barrier', run, resolve, reject });
      this.#pump();
    });
  }

  /**
   * Starts a new segment and deletes the older ones. Call only inside {@link WriteAheadLog.barrier},
   * after a snapshot covering every record so far is durable.
   */
  async rotate(): Promise<void> {
    const start = this.#writtenLsn + 1;
    const old = (await readdir(this.#dir)).filter((name) => SEGMENT.test(name));
    await this.#handle.close();
    this.#handle = await open(join(this.#dir, segmentName(start)), 'a');
    this.#segmentBytes = 0;
    for (const name of old) if (name !== segmentName(start)) await unlink(join(this.#dir, name));
    await fsyncDirectory(this.#dir);
  }

  /** Waits for queued work, then closes the segment file. */
  async close(): Promise<void> {
    await this.barrier(async () => undefined).catch(() => undefined);
    await this.#handle.close();
  }

  #unavailable(): StorageError {
    return new StorageError(
      'STORAGE_UNAVAILABLE',
      'the embedded store could not write its log; restart the server',
      {
        cause: this.#failure,
      },
    );
  }

  #framed(item: Extract<Item, { type: 'record' }>): Framed {
    if (typeof item.content !== 'function') return item.content;
    const { meta, data } = item.content();
    const framed = frame({ ...meta, lsn: item.lsn }, data);
    this.#segmentBytes += framed.bytes;
    return framed;
  }

  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    void this.#drain().finally(() => {
      this.#pumping = false;
      if (this.#queue.length > 0) this.#pump();
    });
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const head = this.#queue[0] as Item;
      if (head.type === 'barrier') {
        this.#queue.shift();
        try {
          await head.run();
          head.resolve();
        } catch (error) {
          head.reject(error);
        }
        continue;
      }
      const wait = head.gatherUntil - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const batch: Extract<Item, { type: 'record' }>[] = [];
      const started = process.hrtime.bigint();
      try {
        const parts: Uint8Array[] = [];
        let size = 0;
        while (
          this.#queue[0]?.type === 'record' &&
          (batch.length === 0 || size < MAX_BATCH_BYTES)
        ) {
          const item = this.#queue.shift() as Extract<Item, { type: 'record' }>;
          batch.push(item);
          // A seal that throws fails the log like a failed write: its lsn can never be skipped.
          const framed = this.#framed(item);
          parts.push(...framed.parts);
          size += framed.bytes;
        }
        await writeAll(this.#handle, parts);
        await this.#handle.datasync();
        for (const item of batch) item.apply(item.lsn);
        this.#writtenLsn = (batch[batch.length - 1] as { lsn: number }).lsn;
      } catch (error) {
        this.#failure = error;
        const failed = [...batch, ...this.#queue.splice(0)];
        for (const item of failed) item.reject(this.#unavailable());
        return;
      }
      this.#observe(Number(process.hrtime.bigint() - started) / 1e9, batch.length);
      for (const item of batch) item.resolve(item.lsn);
    }
  }
}
