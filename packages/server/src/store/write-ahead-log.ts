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

type Item =
  | {
      type: 'record';
      lsn: number;
      frame: Buffer;
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

function frame(meta: Record<string, unknown>, data: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  const payloadLength = 4 + json.length + data.length;
  const out = Buffer.allocUnsafe(8 + payloadLength);
  out.writeUInt32LE(payloadLength, 0);
  out.writeUInt32LE(json.length, 8);
  json.copy(out, 12);
  out.set(data, 12 + json.length);
  out.writeUInt32LE(crc32(out.subarray(8)), 4);
  return out;
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
    const bytes = frame({ ...meta, lsn }, data);
    this.#segmentBytes += bytes.length;
    return new Promise<number>((resolve, reject) => {
      this.#queue.push({ type: 'record', lsn, frame: bytes, apply, resolve, reject });
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
      const batch: Extract<Item, { type: 'record' }>[] = [];
      let size = 0;
      while (this.#queue[0]?.type === 'record' && (batch.length === 0 || size < MAX_BATCH_BYTES)) {
        const item = this.#queue.shift() as Extract<Item, { type: 'record' }>;
        batch.push(item);
        size += item.frame.length;
      }
      const started = process.hrtime.bigint();
      try {
        const bytes =
          batch.length === 1
            ? (batch[0] as { frame: Buffer }).frame
            : Buffer.concat(batch.map((b) => b.frame));
        let written = 0;
        while (written < bytes.length) {
          const { bytesWritten } = await this.#handle.write(bytes, written, bytes.length - written);
          written += bytesWritten;
        }
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
