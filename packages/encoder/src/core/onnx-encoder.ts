import { EncoderError, PrivAdsError } from '@privads/protocol';
import type { InferenceSession, Tensor, TensorConstructor } from 'onnxruntime-common';
import type { DetailedContentEncoder, DetailedEncoding } from './content-encoder.js';
import { EncoderFileError, messageOf } from './errors.js';
import { poolInto } from './pooling.js';
import type { ResolvedEncoderSpec } from './spec.js';
import { prepareText } from './text.js';
import type { TextTokenizer, TokenizedBatch } from './tokenizer.js';

/** Everything {@link createOnnxContentEncoder} needs; the runners (node, web) supply the runtime parts. */
export interface OnnxContentEncoderParts {
  readonly spec: ResolvedEncoderSpec;
  readonly tokenizer: TextTokenizer;
  /** A session created from the spec's model. */
  readonly session: InferenceSession;
  /** The runtime's `Tensor` constructor. */
  readonly Tensor: TensorConstructor;
  /** Path or URL of the model (named in errors). */
  readonly modelSource: string;
  /** Runtime name for messages, e.g. `'onnxruntime-node'`. */
  readonly runtime: string;
  /** Texts per model call inside one `encode`. @defaultValue 32 */
  readonly maxBatch?: number;
}

/**
 * Checks that a session has exactly the inputs the tokenizer feeds (names and element types) and
 * the output the spec reads, with the rank its pooling needs and `spec.dim` as last dimension when
 * the model declares it. Symbolic dimensions are checked after each run instead.
 * @param parts - spec, tokenizer, session, model source
 * @throws {@link EncoderFileError} `ENCODER_MODEL_INVALID` naming the model file and what was expected
 */
export function checkModelContract(
  parts: Pick<OnnxContentEncoderParts, 'spec' | 'tokenizer' | 'session' | 'modelSource'>,
): void {
  const { spec, tokenizer, session, modelSource } = parts;
  const expectedInputs = tokenizer.inputs
    .map((i) => `"${i.name}" (${i.type} [batch, sequence]${i.optional ? ', optional' : ''})`)
    .join(', ');
  const fail = (problem: string, expected: string): never => {
    throw new EncoderFileError('ENCODER_MODEL_INVALID', modelSource, problem, expected);
  };
  const metadata = new Map((session.inputMetadata ?? []).map((m) => [m.name, m]));
  for (const input of tokenizer.inputs) {
    if (!session.inputNames.includes(input.name)) {
      if (input.optional) continue;
      fail(
        `has no input "${input.name}" (model inputs: ${list(session.inputNames)})`,
        `inputs ${expectedInputs} for a ${tokenizer.kind} tokenizer`,
      );
    }
    const meta = metadata.get(input.name);
    if (meta?.isTensor && meta.type !== input.type) {
      fail(`input "${input.name}" has element type ${meta.type}`, `${input.type}`);
    }
    if (meta?.isTensor && meta.shape.length !== 0 && meta.shape.length !== 2) {
      fail(
        `input "${input.name}" has rank ${meta.shape.length} (${shapeText(meta.shape)})`,
        `rank 2 [batch, sequence]`,
      );
    }
  }
  const fed = new Set(tokenizer.inputs.map((i) => i.name));
  const unfed = session.inputNames.filter((name) => !fed.has(name));
  if (unfed.length > 0)
    fail(
      `has input(s) ${list(unfed)} that a ${tokenizer.kind} tokenizer does not feed`,
      `only inputs ${expectedInputs}`,
    );

  const rank = spec.pooling === 'none' ? 2 : 3;
  const expectedOutput = `output "${spec.output}" (float32 ${rank === 2 ? `[batch, ${spec.dim}]` : `[batch, sequence, ${spec.dim}]`} for pooling "${spec.pooling}")`;
  if (!session.outputNames.includes(spec.output)) {
    fail(
      `has no output "${spec.output}" (model outputs: ${list(session.outputNames)})`,
      expectedOutput,
    );
  }
  const out = (session.outputMetadata ?? []).find((m) => m.name === spec.output);
  if (out?.isTensor) {
    if (out.type !== 'float32')
      fail(`output "${spec.output}" has element type ${out.type}`, expectedOutput);
    if (out.shape.length !== 0) {
      const last = out.shape[out.shape.length - 1];
      if (out.shape.length !== rank || (typeof last === 'number' && last !== spec.dim)) {
        fail(`output "${spec.output}" has shape ${shapeText(out.shape)}`, expectedOutput);
      }
    }
  }
}

/**
 * The shared encoder: validation, truncation, tokenization, batching, model call, pooling and
 * normalisation are this one code path in both runners; only the session and `Tensor` differ.
 * Model calls are serialised (onnxruntime-web rejects concurrent runs of one session).
 * @param parts - spec, tokenizer and runtime objects
 * @returns the encoder
 * @throws {@link EncoderFileError} when the model does not match the spec (see {@link checkModelContract})
 */
export function createOnnxContentEncoder(parts: OnnxContentEncoderParts): DetailedContentEncoder {
  checkModelContract(parts);
  const { spec, tokenizer, session, Tensor, modelSource, runtime } = parts;
  const maxBatch = parts.maxBatch ?? 32;
  if (!Number.isInteger(maxBatch) || maxBatch < 1)
    throw new RangeError(`maxBatch must be an integer ≥ 1, got ${maxBatch}`);
  const feedNames = new Set(session.inputNames);
  let queue: Promise<unknown> = Promise.resolve();
  let disposed = false;

  const run = async (batch: TokenizedBatch, count: number): Promise<Tensor> => {
    const feeds: Record<string, Tensor> = {};
    for (const [name, t] of batch.feeds)
      if (feedNames.has(name)) feeds[name] = new Tensor(t.type, t.data, t.dims);
    let outputs: InferenceSession.ReturnType;
    try {
      outputs = await session.run(feeds, [spec.output]);
    } catch (cause) {
      throw new EncoderError(
        'ENCODER_INFERENCE_FAILED',
        `${modelSource}: ${runtime} failed to run the model (${messageOf(cause)})`,
        { cause },
      );
    }
    const out = outputs[spec.output];
    const dims = out?.dims ?? [];
    const expected =
      spec.pooling === 'none' ? [count, spec.dim] : [count, batch.sequenceLength, spec.dim];
    if (
      out === undefined ||
      out.type !== 'float32' ||
      dims.length !== expected.length ||
      dims.some((d, i) => d !== expected[i])
    ) {
      throw new EncoderFileError(
        'ENCODER_MODEL_INVALID',
        modelSource,
        `output "${spec.output}" came back as ${out?.type ?? 'nothing'} [${dims.join(', ')}]`,
        `float32 [${expected.join(', ')}]`,
      );
    }
    return out;
  };

  const encodeAll = async (texts: readonly string[]): Promise<DetailedEncoding> => {
    if (disposed) throw new PrivAdsError('INVALID_STATE', `encoder ${spec.id} was disposed`);
    const prepared = texts.map((t, i) => prepareText(t, i, tokenizer.maxChars));
    const vectors = new Float32Array(texts.length * spec.dim);
    for (let start = 0; start < prepared.length; start += maxBatch) {
      const chunk = prepared.slice(start, start + maxBatch).map((p) => p.text);
      const batch = tokenizer.tokenizeBatch(chunk, start);
      const out = await run(batch, chunk.length);
      const data = out.data as Float32Array;
      if (!data.every(Number.isFinite)) {
        throw new EncoderError(
          'ENCODER_INFERENCE_FAILED',
          `${modelSource}: output "${spec.output}" contains NaN or Infinity`,
        );
      }
      const sequence = spec.pooling === 'none' ? 1 : batch.sequenceLength;
      const mask = spec.pooling === 'none' ? new Uint8Array(chunk.length).fill(1) : batch.mask;
      poolInto(
        { data, batch: chunk.length, sequence, dim: spec.dim, mask },
        spec.pooling,
        spec.normalize,
        vectors,
        start,
      );
      out.dispose();
    }
    const truncated = prepared.flatMap((p, i) => (p.truncated ? [i] : []));
    return { vectors, truncated };
  };

  const serialised = <T>(task: () => Promise<T>): Promise<T> => {
    const result = queue.then(task, task);
    queue = result.catch(() => undefined);
    return result;
  };

  const encodeDetailed = (texts: readonly string[]): Promise<DetailedEncoding> => {
    if (!Array.isArray(texts))
      return Promise.reject(
        new TypeError(`texts must be an array of strings, got ${typeof texts}`),
      );
    return serialised(() => encodeAll(texts));
  };

  return {
    id: spec.id,
    dim: spec.dim,
    maxChars: tokenizer.maxChars,
    tokenizerKind: tokenizer.kind,
    encodeDetailed,
    async encode(texts) {
      return (await encodeDetailed(texts)).vectors;
    },
    dispose() {
      return serialised(async () => {
        if (disposed) return;
        disposed = true;
        await session.release();
      });
    },
  };
}

function list(names: readonly string[]): string {
  return names.length === 0 ? 'none' : names.map((n) => `"${n}"`).join(', ');
}

function shapeText(shape: ReadonlyArray<number | string>): string {
  return `[${shape.join(', ')}]`;
}
