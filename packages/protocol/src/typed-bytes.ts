/**
 * Little-endian typed-array (de)serialisation. On little-endian hosts (all current browsers and
 * Node platforms) it is one `slice` / `set`; on big-endian hosts every element is byte-swapped.
 */
import { LITTLE_ENDIAN_HOST } from './runtime.js';

/** The typed arrays the formats store. */
export type NumericArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array;

/** A typed-array constructor that views a whole `ArrayBuffer`. */
export interface NumericArrayConstructor<T extends NumericArray> {
  new (buffer: ArrayBuffer): T;
  readonly BYTES_PER_ELEMENT: number;
}

function swapInPlace(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let i = 0; i < bytes.length; i += size) bytes.subarray(i, i + size).reverse();
}

/**
 * Copies `count` little-endian elements starting at `offset` into a new typed array. The caller
 * has already checked that the range lies inside `bytes`.
 * @param ctor - element type
 * @param bytes - source
 * @param offset - byte offset of the first element
 * @param count - number of elements
 * @returns a new array that owns its (aligned) buffer
 */
export function readLE<T extends NumericArray>(
  ctor: NumericArrayConstructor<T>,
  bytes: Uint8Array,
  offset: number,
  count: number,
): T {
  const size = ctor.BYTES_PER_ELEMENT;
  // Uint8Array's own slice copies; a Node Buffer's `slice` would return a view of its shared pool.
  const copy = Uint8Array.prototype.slice.call(bytes, offset, offset + count * size);
  if (!LITTLE_ENDIAN_HOST) swapInPlace(copy, size);
  return new ctor(copy.buffer);
}

/**
 * Like {@link readLE}, but without the copy where one is not needed: on a little-endian host, when
 * `bytes` places the range at a multiple of the element size, the result is a view of `bytes`
 * (it changes when `bytes` does); otherwise a copy. For decoders whose result is read at once, or
 * whose input is never written again (a request body).
 * @param ctor - element type
 * @param bytes - source
 * @param offset - byte offset of the first element
 * @param count - number of elements
 * @returns a view of `bytes`, or a new array
 */
export function viewLE<T extends NumericArray>(
  ctor: NumericArrayConstructor<T> & {
    new (buffer: ArrayBufferLike, offset: number, length: number): T;
  },
  bytes: Uint8Array,
  offset: number,
  count: number,
): T {
  const start = bytes.byteOffset + offset;
  if (LITTLE_ENDIAN_HOST && start % ctor.BYTES_PER_ELEMENT === 0)
    return new ctor(bytes.buffer, start, count);
  return readLE(ctor, bytes, offset, count);
}

/**
 * Writes `values` little-endian into `target` at `offset`.
 * @param target - destination buffer
 * @param offset - byte offset
 * @param values - elements to write
 */
export function writeLE(target: Uint8Array, offset: number, values: NumericArray): void {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  target.set(bytes, offset);
  if (!LITTLE_ENDIAN_HOST)
    swapInPlace(target.subarray(offset, offset + bytes.length), values.BYTES_PER_ELEMENT);
}
