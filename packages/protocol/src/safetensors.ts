/**
 * Safetensors (https://huggingface.co/docs/safetensors), read and written per the published format:
 *
 * | offset | size | field                                                                  |
 * |-------:|-----:|------------------------------------------------------------------------|
 * |      0 |    8 | u64 LE header length N                                                 |
 * |      8 |    N | UTF-8 JSON `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {str: str}}` |
 * |  8 + N |    … | byte buffer; offsets are relative to its start                         |
 *
 * The writer matches the reference implementation byte for byte: tensors ordered by dtype
 * alignment (descending, the reference's dtype order) then by name, `__metadata__` first with keys
 * sorted, compact JSON, header right-padded with spaces to a multiple of 8 bytes. Data is
 * little-endian, row-major (C order).
 */
import { ProtocolError } from './errors.js';
import { FieldReader, describeValue, parseJsonBytes } from './json.js';
import { SAFETENSORS_DEFAULT_LIMITS, resolveLimits, type DecodeLimits } from './limits.js';
import { utf8Encode } from './runtime.js';
import { readLE, writeLE, type NumericArray, type NumericArrayConstructor } from './typed-bytes.js';

/** Supported dtypes, in the reference implementation's (increasing alignment) order. */
export const SAFETENSORS_DTYPES = [
  'BOOL',
  'U8',
  'I8',
  'I16',
  'U16',
  'F16',
  'BF16',
  'I32',
  'U32',
  'F32',
  'F64',
  'I64',
  'U64',
] as const;

/** A safetensors dtype this package reads and writes (FP8 types are not supported). */
export type SafetensorsDtype = (typeof SAFETENSORS_DTYPES)[number];

/** The typed array holding each dtype's elements. F16/BF16 are raw bit patterns (see `float16ToFloat32Array`); BOOL is 0/1 bytes. */
export interface SafetensorsArrayTypes {
  BOOL: Uint8Array;
  U8: Uint8Array;
  I8: Int8Array;
  I16: Int16Array;
  U16: Uint16Array;
  F16: Uint16Array;
  BF16: Uint16Array;
  I32: Int32Array;
  U32: Uint32Array;
  F32: Float32Array;
  F64: Float64Array;
  I64: BigInt64Array;
  U64: BigUint64Array;
}

/** One tensor: `data.length` equals the product of `shape` (1 for a scalar, `shape = []`). */
export type Tensor = {
  [D in SafetensorsDtype]: { dtype: D; shape: readonly number[]; data: SafetensorsArrayTypes[D] };
}[SafetensorsDtype];

/** A decoded safetensors file. */
export interface SafetensorsFile {
  /** Tensors by name (own properties only; safe for any name, including `__proto__`). */
  tensors: Record<string, Tensor>;
  /** The `__metadata__` map (empty when absent). */
  metadata: Record<string, string>;
}

const CTORS: { [D in SafetensorsDtype]: NumericArrayConstructor<SafetensorsArrayTypes[D]> } = {
  BOOL: Uint8Array,
  U8: Uint8Array,
  I8: Int8Array,
  I16: Int16Array,
  U16: Uint16Array,
  F16: Uint16Array,
  BF16: Uint16Array,
  I32: Int32Array,
  U32: Uint32Array,
  F32: Float32Array,
  F64: Float64Array,
  I64: BigInt64Array,
  U64: BigUint64Array,
};

const METADATA_KEY = '__metadata__';

/**
 * Number of elements of `shape`, or -1 when it is not a list of non-negative safe integers or the
 * product is not a safe integer.
 */
function elementCount(shape: readonly unknown[]): number {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) return -1;
    n *= d;
    if (!Number.isSafeInteger(n)) return -1;
  }
  return n;
}

/** Orders strings by Unicode code point, i.e. by their UTF-8 bytes, as Rust's `str::cmp` does. */
function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done === y.done ? 0 : x.done ? -1 : 1;
    const d = (x.value.codePointAt(0) ?? 0) - (y.value.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
}

const dtypeRank = (dtype: SafetensorsDtype): number => SAFETENSORS_DTYPES.indexOf(dtype);

/**
 * Serialises tensors (and optional string metadata) to safetensors bytes.
 * @param tensors - tensors by name; each `data.length` must equal the product of its `shape`
 * @param metadata - free-form strings stored under `__metadata__` (omitted when undefined)
 * @returns the file bytes
 * @throws ProtocolError `DIM_MISMATCH` when a tensor's data length disagrees with its shape,
 *   `BAD_HEADER` for the reserved name `__metadata__`, an unknown dtype or a non-string metadata value
 */
export function encodeSafetensors(
  tensors: Readonly<Record<string, Tensor>>,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const entries = Object.entries(tensors);
  for (const [name, tensor] of entries) {
    if (name === METADATA_KEY)
      throw new ProtocolError('BAD_HEADER', `tensor name ${METADATA_KEY} is reserved`);
    if (!Object.prototype.hasOwnProperty.call(CTORS, tensor.dtype)) {
      throw new ProtocolError(
        'BAD_HEADER',
        `tensor ${JSON.stringify(name)} has unsupported dtype ${describeValue(tensor.dtype)}`,
      );
    }
    if (elementCount(tensor.shape) !== tensor.data.length) {
      throw new ProtocolError(
        'DIM_MISMATCH',
        `tensor ${JSON.stringify(name)}: shape [${tensor.shape.join(', ')}] does not hold ${tensor.data.length} elements`,
      );
    }
  }
  entries.sort(
    ([an, a], [bn, b]) => dtypeRank(b.dtype) - dtypeRank(a.dtype) || compareCodePoints(an, bn),
  );

  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    const sorted: Record<string, string> = {};
    for (const key of Object.keys(metadata).sort(compareCodePoints)) {
      const value = metadata[key];
      if (typeof value !== 'string') {
        throw new ProtocolError(
          'BAD_HEADER',
          `metadata ${JSON.stringify(key)} must be a string, got ${describeValue(value)}`,
        );
      }
      defineOwn(sorted, key, value);
    }
    defineOwn(header, METADATA_KEY, sorted);
  }
  let offset = 0;
  for (const [name, tensor] of entries) {
    const end = offset + tensor.data.byteLength;
    defineOwn(header, name, {
      dtype: tensor.dtype,
      shape: [...tensor.shape],
      data_offsets: [offset, end],
    });
    offset = end;
  }
  const json = utf8Encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, headerLength % 2 ** 32, true);
  view.setUint32(4, Math.floor(headerLength / 2 ** 32), true);
  bytes.set(json, 8);
  bytes.fill(0x20, 8 + json.length, 8 + headerLength);
  let at = 8 + headerLength;
  for (const [, tensor] of entries) {
    writeLE(bytes, at, tensor.data);
    at += tensor.data.byteLength;
  }
  return bytes;
}

// Plain assignment of "__proto__" would replace the prototype instead of adding a key.
function defineOwn(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

interface TensorInfo {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  begin: number;
  end: number;
}

function readTensorInfo(name: string, value: unknown, maxRank: number): TensorInfo {
  const r = new FieldReader(value, `safetensors header[${JSON.stringify(name)}]`);
  const dtype = r.literal('dtype', SAFETENSORS_DTYPES);
  const shape = r.array('shape', (d, path) => {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new ProtocolError(
        'BAD_HEADER',
        `${path} must be a non-negative integer, got ${describeValue(d)}`,
      );
    }
    return d;
  });
  if (shape.length > maxRank) {
    throw new ProtocolError(
      'OVERSIZE',
      `tensor ${JSON.stringify(name)} has rank ${shape.length}, limit is ${maxRank}`,
    );
  }
  const offsets = r.raw('data_offsets');
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0) ||
    (offsets[0] as number) > (offsets[1] as number)
  ) {
    r.fail('data_offsets', '[begin, end] with 0 <= begin <= end', offsets);
  }
  r.done();
  const [begin, end] = offsets as [number, number];
  const count = elementCount(shape);
  const byteLength = count * CTORS[dtype].BYTES_PER_ELEMENT;
  if (count < 0 || !Number.isSafeInteger(byteLength)) {
    throw new ProtocolError(
      'LENGTH_OVERFLOW',
      `tensor ${JSON.stringify(name)}: shape [${shape.join(', ')}] overflows`,
    );
  }
  if (end - begin !== byteLength) {
    throw new ProtocolError(
      'DIM_MISMATCH',
      `tensor ${JSON.stringify(name)}: ${dtype}[${shape.join(', ')}] needs ${byteLength} bytes, offsets span ${end - begin}`,
    );
  }
  return { name, dtype, shape, begin, end };
}

function readMetadata(value: unknown): Record<string, string> {
  const r = new FieldReader(value, `safetensors ${METADATA_KEY}`);
  const out: Record<string, string> = {};
  for (const key of Object.keys(value as object)) defineOwn(out, key, r.string(key));
  return out;
}

/**
 * Parses and validates a safetensors file. Nothing is allocated for tensor data until the whole
 * header has been checked against the input's length.
 * @param bytes - the file
 * @param limits - `maxBytes` (file), `maxHeaderBytes`, `maxCount` (tensors), `maxDim` (rank)
 * @defaultValue limits = {@link SAFETENSORS_DEFAULT_LIMITS}
 * @returns tensors (data copied out of `bytes`) and metadata
 * @throws ProtocolError `OVERSIZE`, `TRUNCATED` (under 8 bytes, or the buffer ends before the last
 *   tensor), `LENGTH_OVERFLOW` (header length beyond the file, or a shape that overflows),
 *   `BAD_HEADER` (UTF-8/JSON/schema, duplicate keys, holes or overlaps between tensors),
 *   `DIM_MISMATCH` (offsets disagree with shape × dtype), `TRAILING_BYTES`, `OUT_OF_RANGE` (BOOL not 0/1)
 */
export function decodeSafetensors(bytes: Uint8Array, limits?: DecodeLimits): SafetensorsFile {
  const lim = resolveLimits(limits, SAFETENSORS_DEFAULT_LIMITS);
  if (bytes.length > lim.maxBytes) {
    throw new ProtocolError(
      'OVERSIZE',
      `safetensors file is ${bytes.length} bytes, limit is ${lim.maxBytes}`,
    );
  }
  if (bytes.length < 8)
    throw new ProtocolError(
      'TRUNCATED',
      `safetensors file is ${bytes.length} bytes, shorter than 8`,
    );
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(0, true) + view.getUint32(4, true) * 2 ** 32;
  if (headerLength > bytes.length - 8) {
    throw new ProtocolError(
      'LENGTH_OVERFLOW',
      `safetensors header length ${headerLength} exceeds the ${bytes.length - 8} bytes that follow`,
    );
  }
  if (headerLength > lim.maxHeaderBytes) {
    throw new ProtocolError(
      'OVERSIZE',
      `safetensors header is ${headerLength} bytes, limit is ${lim.maxHeaderBytes}`,
    );
  }
  if (bytes[8] !== 0x7b)
    throw new ProtocolError('BAD_HEADER', 'safetensors header must start with "{"');
  const header = parseJsonBytes(bytes.subarray(8, 8 + headerLength), 'safetensors header');
  new FieldReader(header, 'safetensors header'); // throws unless the header is an object
  const record = header as Record<string, unknown>;
  const names = Object.keys(record);
  const hasMetadata = names.includes(METADATA_KEY);
  const tensorCount = names.length - (hasMetadata ? 1 : 0);
  if (tensorCount > lim.maxCount) {
    throw new ProtocolError(
      'OVERSIZE',
      `safetensors file has ${tensorCount} tensors, limit is ${lim.maxCount}`,
    );
  }
  const metadata = hasMetadata ? readMetadata(record[METADATA_KEY]) : {};
  const infos = names
    .filter((n) => n !== METADATA_KEY)
    .map((n) => readTensorInfo(n, record[n], lim.maxDim));

  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  for (const info of infos) {
    if (info.begin !== covered) {
      throw new ProtocolError(
        'BAD_HEADER',
        `tensor ${JSON.stringify(info.name)} starts at ${info.begin}, expected ${covered} (tensors must be contiguous, without holes or overlaps)`,
      );
    }
    covered = info.end;
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  if (covered > dataLength) {
    throw new ProtocolError(
      'TRUNCATED',
      `safetensors buffer is ${dataLength} bytes, tensors need ${covered}`,
    );
  }
  if (covered < dataLength) {
    throw new ProtocolError(
      'TRAILING_BYTES',
      `safetensors buffer is ${dataLength} bytes, tensors cover only ${covered}`,
    );
  }

  const tensors: Record<string, Tensor> = {};
  for (const { name, dtype, shape, begin, end } of infos) {
    const ctor = CTORS[dtype] as NumericArrayConstructor<NumericArray>;
    const data = readLE(ctor, bytes, dataStart + begin, (end - begin) / ctor.BYTES_PER_ELEMENT);
    if (dtype === 'BOOL' && (data as Uint8Array).some((b) => b > 1)) {
      throw new ProtocolError(
        'OUT_OF_RANGE',
        `BOOL tensor ${JSON.stringify(name)} holds a byte other than 0 or 1`,
      );
    }
    defineOwn(tensors, name, { dtype, shape, data } as Tensor);
  }
  return { tensors, metadata };
}
