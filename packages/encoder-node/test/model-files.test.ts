import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EncoderFileError, defaultEncoderSpec } from '@privads/encoder';
import { createNodeEncoder } from '@privads/encoder-node';
import {
  DataType,
  initializer,
  node,
  serializeModel,
  valueInfo,
} from '../../encoder/scripts/onnx-writer.mjs';
import { defaultModelPath, tinySpecPath } from '../../encoder/test/helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'privads-encoder-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const defaultModel = readFileSync(defaultModelPath);
let counter = 0;

/** Writes a spec (and optionally a model and other files) into a fresh folder; returns the spec path. */
function setup(
  spec: unknown,
  model?: Uint8Array | null,
  extra: Record<string, string | Uint8Array> = {},
): string {
  const folder = join(dir, String(counter++));
  mkdirSync(folder, { recursive: true });
  const specPath = join(folder, 'encoder.json');
  writeFileSync(specPath, typeof spec === 'string' ? spec : JSON.stringify(spec));
  if (model !== null) writeFileSync(join(folder, 'model.onnx'), model ?? defaultModel);
  for (const [name, content] of Object.entries(extra)) writeFileSync(join(folder, name), content);
  return specPath;
}

async function fileError(specPath: string): Promise<EncoderFileError> {
  try {
    const encoder = await createNodeEncoder({ specPath });
    await encoder.dispose();
  } catch (error) {
    expect(error).toBeInstanceOf(EncoderFileError);
    return error as EncoderFileError;
  }
  throw new Error('expected an EncoderFileError');
}

const spec = (patch: Record<string, unknown> = {}) =>
  ({ ...JSON.parse(JSON.stringify(defaultEncoderSpec)), ...patch }) as Record<string, unknown>;

describe('missing and corrupt files', () => {
  it('a missing spec file: MISSING, naming it', async () => {
    const path = join(dir, 'nope', 'encoder.json');
    const e = await fileError(path);
    expect(e).toMatchObject({ code: 'ENCODER_MODEL_MISSING', file: path });
    expect(e.message).toBe(`${path}: does not exist; expected an encoder spec file (encoder.json)`);
  });

  it('a spec that is not JSON: INVALID, naming it', async () => {
    const path = setup('{ "format": ');
    const e = await fileError(path);
    expect(e).toMatchObject({ code: 'ENCODER_MODEL_INVALID', file: path });
    expect(e.message).toMatch(/is not valid UTF-8 JSON/);
  });

  it('a missing model file: MISSING, naming the resolved path', async () => {
    const path = setup(spec(), null);
    const e = await fileError(path);
    expect(e).toMatchObject({
      code: 'ENCODER_MODEL_MISSING',
      file: join(path, '..', 'model.onnx'),
    });
    expect(e.message).toMatch(/model\.onnx: does not exist; expected an ONNX model file$/);
  });

  it('a directory where the model should be: MISSING (cannot be read)', async () => {
    const path = setup(spec({ model: { file: '.' } }), null);
    const e = await fileError(path);
    expect(e.code).toBe('ENCODER_MODEL_MISSING');
    expect(e.message).toMatch(/cannot be read \(EISDIR/);
  });

  it('an empty, truncated or random model file: INVALID, naming it', async () => {
    const random = Uint8Array.from({ length: 4096 }, (_, i) => (i * 2654435761) >>> 24);
    for (const bytes of [new Uint8Array(0), defaultModel.subarray(0, 2000), random]) {
      const path = setup(spec(), bytes);
      const e = await fileError(path);
      expect(e).toMatchObject({
        code: 'ENCODER_MODEL_INVALID',
        file: join(path, '..', 'model.onnx'),
      });
      expect(e.message).toMatch(
        /model\.onnx: (is empty|could not be loaded by onnxruntime-node \(.+\)); expected an ONNX model/,
      );
    }
  });
});

describe('a model that does not match its spec', () => {
  it('wrong input names', async () => {
    const e = await fileError(
      setup(spec({ model: { file: 'model.onnx', inputs: { ids: 'token_ids' } } })),
    );
    expect(e.code).toBe('ENCODER_MODEL_INVALID');
    expect(e.message).toMatch(
      /model\.onnx: has no input "token_ids" \(model inputs: "ids", "weights"\); expected inputs "token_ids" \(int64 \[batch, sequence\]\), "weights" \(float32/,
    );
  });

  it('wrong output name', async () => {
    const e = await fileError(setup(spec({ model: { file: 'model.onnx', output: 'pooled' } })));
    expect(e.message).toMatch(
      /has no output "pooled" \(model outputs: "embedding"\); expected output "pooled" \(float32 \[batch, 384\]/,
    );
  });

  it('wrong dimension', async () => {
    const e = await fileError(setup(spec({ dim: 128 })));
    expect(e.message).toMatch(
      /output "embedding" has shape \[batch, 384\]; expected output "embedding" \(float32 \[batch, 128\] for pooling "none"\)/,
    );
  });

  it('wrong tokenizer for the model (wordpiece spec on the hashed model)', async () => {
    const tokenizer = readFileSync(join(tinySpecPath, '..', 'tokenizer.json'));
    const wordpiece = spec({
      model: { file: 'model.onnx' },
      pooling: 'mean',
      tokenizer: { kind: 'wordpiece', file: 'tokenizer.json' },
    });
    const path = setup(wordpiece, undefined, { 'tokenizer.json': tokenizer });
    const e = await fileError(path);
    expect(e.message).toMatch(
      /has no input "input_ids" \(model inputs: "ids", "weights"\); expected inputs "input_ids"/,
    );
  });

  it('wrong input element type', async () => {
    const model = serializeModel({
      name: 'float-ids',
      doc: '',
      initializers: [],
      inputs: [
        valueInfo('ids', DataType.FLOAT, ['batch', 'features']),
        valueInfo('weights', DataType.FLOAT, ['batch', 'features']),
      ],
      outputs: [valueInfo('embedding', DataType.FLOAT, ['batch', 'features'])],
      nodes: [node('Add', ['ids', 'weights'], ['embedding'])],
      metadata: {},
    });
    const e = await fileError(setup(spec(), model));
    expect(e.message).toMatch(/input "ids" has element type float32; expected int64$/);
  });

  it('an input the tokenizer does not feed', async () => {
    const model = serializeModel({
      name: 'extra-input',
      doc: '',
      initializers: [],
      inputs: [
        valueInfo('ids', DataType.INT64, ['batch', 'features']),
        valueInfo('weights', DataType.FLOAT, ['batch', 'features']),
        valueInfo('position_ids', DataType.INT64, ['batch', 'features']),
      ],
      outputs: [valueInfo('embedding', DataType.FLOAT, ['batch', 'features'])],
      nodes: [node('Identity', ['weights'], ['embedding'])],
      metadata: {},
    });
    const e = await fileError(setup(spec(), model));
    expect(e.message).toMatch(
      /has input\(s\) "position_ids" that a hashed-ngrams tokenizer does not feed; expected only inputs/,
    );
  });

  it('a symbolic output dimension that turns out wrong at run time', async () => {
    // Output = weights: [batch, features], declared with a symbolic last dimension.
    const model = serializeModel({
      name: 'symbolic-dim',
      doc: '',
      initializers: [initializer('zero', DataType.FLOAT, [], Float32Array.of(0))],
      inputs: [
        valueInfo('ids', DataType.INT64, ['batch', 'features']),
        valueInfo('weights', DataType.FLOAT, ['batch', 'features']),
      ],
      outputs: [valueInfo('embedding', DataType.FLOAT, ['batch', 'd'])],
      nodes: [node('Add', ['weights', 'zero'], ['embedding'])],
      metadata: {},
    });
    const encoder = await createNodeEncoder({ specPath: setup(spec(), model) });
    try {
      await expect(encoder.encode(['one two three four five six'])).rejects.toMatchObject({
        code: 'ENCODER_MODEL_INVALID',
        message: expect.stringMatching(
          /model\.onnx: output "embedding" came back as float32 \[1, \d+\]; expected float32 \[1, 384\]$/,
        ) as unknown,
      });
    } finally {
      await encoder.dispose();
    }
  });
});

describe('wordpiece tokenizer files', () => {
  const tinyDir = join(tinySpecPath, '..');
  const tinySpec = JSON.parse(readFileSync(tinySpecPath, 'utf8')) as Record<string, unknown>;
  const tinyModel = readFileSync(join(tinyDir, 'model.onnx'));
  const tokenizer = JSON.parse(readFileSync(join(tinyDir, 'tokenizer.json'), 'utf8')) as {
    model: Record<string, unknown>;
  };

  it('a missing tokenizer.json: MISSING, naming it', async () => {
    const e = await fileError(setup(tinySpec, tinyModel));
    expect(e.code).toBe('ENCODER_MODEL_MISSING');
    expect(e.message).toMatch(
      /tokenizer\.json: does not exist; expected a Hugging Face tokenizer\.json$/,
    );
  });

  it('a tokenizer.json that is not JSON, or not WordPiece: INVALID, naming it', async () => {
    let e = await fileError(setup(tinySpec, tinyModel, { 'tokenizer.json': '{"model": ' }));
    expect(e.message).toMatch(/tokenizer\.json: is not valid UTF-8 JSON/);
    const bpe = { ...tokenizer, model: { ...tokenizer.model, type: 'BPE' } };
    e = await fileError(setup(tinySpec, tinyModel, { 'tokenizer.json': JSON.stringify(bpe) }));
    expect(e.message).toMatch(
      /tokenizer\.json: has model\.type "BPE"; expected a Hugging Face tokenizer\.json with model\.type "WordPiece"/,
    );
    e = await fileError(
      setup(tinySpec, tinyModel, { 'tokenizer.json': Uint8Array.of(0x7b, 0xff, 0x7d) }),
    );
    expect(e.message).toMatch(/tokenizer\.json: is not valid UTF-8 JSON/);
  });
});
