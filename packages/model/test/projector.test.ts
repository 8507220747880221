import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { ProtocolError, encodeSafetensors, type Tensor } from '@privads/protocol';
import {
  catalogInitialParameters,
  PROJECTOR_FORMAT,
  Projector,
  createProjector,
  decodeProjectorFile,
  initialParameters,
  parameterCount,
  parameterLayout,
  projectorFromSafetensors,
  seededUniforms,
  type ProjectorSpec,
} from '@privads/model';
import { TEST_BACKENDS, relativeError, useBackend } from './helpers.js';

const LINEAR: ProjectorSpec = { kind: 'linear', contentDim: 384, userDim: 128 };
const MLP: ProjectorSpec = { kind: 'mlp', contentDim: 384, userDim: 128 };
const TINY_LINEAR: ProjectorSpec = { kind: 'linear', contentDim: 6, userDim: 4 };
const TINY_MLP: ProjectorSpec = { kind: 'mlp', contentDim: 6, userDim: 4, hiddenDim: 5 };

/** Independent f64 forward pass: y = z·W + b with W stored [in, out], ReLU between MLP layers. */
function preActivationF64(
  spec: ProjectorSpec,
  theta: Float32Array,
  z: Float32Array,
  count: number,
): Float64Array {
  const layout = parameterLayout(spec);
  let x = Float64Array.from(z);
  let width = spec.contentDim;
  for (let layer = 0; layer < layout.length / 2; layer++) {
    const w = layout[2 * layer]!;
    const b = layout[2 * layer + 1]!;
    const out = w.shape[1]!;
    const y = new Float64Array(count * out);
    for (let r = 0; r < count; r++) {
      for (let k = 0; k < out; k++) {
        let acc = theta[b.offset + k]!;
        for (let i = 0; i < width; i++) acc += x[r * width + i]! * theta[w.offset + i * out + k]!;
        y[r * out + k] = layer < layout.length / 2 - 1 ? Math.max(0, acc) : acc;
      }
    }
    x = y;
    width = out;
  }
  return x;
}

function rowNorms(m: Float64Array | Float32Array, dim: number): number[] {
  return Array.from({ length: m.length / dim }, (_, r) =>
    Math.hypot(...m.subarray(r * dim, (r + 1) * dim)),
  );
}

/** {@link preActivationF64} with each row L2-normalised. */
function forwardF64(
  spec: ProjectorSpec,
  theta: Float32Array,
  z: Float32Array,
  count: number,
): Float64Array {
  const y = preActivationF64(spec, theta, z, count);
  rowNorms(y, spec.userDim).forEach((n, r) => {
    for (let k = 0; k < spec.userDim; k++) y[r * spec.userDim + k]! /= n;
  });
  return y;
}

function headerOf(bytes: Uint8Array): Record<string, { dtype: string; shape: number[] }> {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<
    string,
    { dtype: string; shape: number[] }
  >;
}

describe('parameter layout', () => {
  it('linear 384→128 has weight [384,128] + bias [128] = 49,280 parameters', () => {
    expect(parameterCount(LINEAR)).toBe(49_280);
    expect(parameterLayout(LINEAR)).toEqual([
      { name: 'projector.layer0.weight', shape: [384, 128], offset: 0, size: 49_152 },
      { name: 'projector.layer0.bias', shape: [128], offset: 49_152, size: 128 },
    ]);
  });

  it('mlp 384→256→128 lists both layers in order', () => {
    expect(parameterCount(MLP)).toBe(384 * 256 + 256 + 256 * 128 + 128);
    expect(parameterLayout(MLP).map((b) => [b.name, b.shape, b.offset])).toEqual([
      ['projector.layer0.weight', [384, 256], 0],
      ['projector.layer0.bias', [256], 98_304],
      ['projector.layer1.weight', [256, 128], 98_560],
      ['projector.layer1.bias', [128], 131_328],
    ]);
  });

  it('rejects invalid specs', () => {
    expect(() => parameterCount({ kind: 'conv' as 'linear', contentDim: 4, userDim: 2 })).toThrow(
      TypeError,
    );
    expect(() => parameterCount({ kind: 'linear', contentDim: 0, userDim: 2 })).toThrow(
      /contentDim/,
    );
    expect(() => parameterCount({ kind: 'linear', contentDim: 4, userDim: 2.5 })).toThrow(
      /userDim/,
    );
    expect(() => parameterCount({ kind: 'mlp', contentDim: 4, userDim: 2, hiddenDim: -1 })).toThrow(
      /hiddenDim/,
    );
  });
});

describe('deterministic initialisation', () => {
  it('is a pure function of the seed', () => {
    expect(initialParameters(TINY_MLP, 42)).toEqual(initialParameters(TINY_MLP, 42));
    expect(initialParameters(TINY_MLP, 42)).not.toEqual(initialParameters(TINY_MLP, 43));
    expect(seededUniforms(5, 1)).toEqual(seededUniforms(5, 1));
  });

  it('draws (semi-)orthogonal weights, gain √2 before a ReLU and 1 at the output, and zero biases', () => {
    const theta = initialParameters(MLP, 1);
    const [w0, b0, w1, b1] = parameterLayout(MLP).map((b) =>
      theta.subarray(b.offset, b.offset + b.size),
    );
    // Wᵀ W = gain² I for a fanIn × fanOut matrix with fanIn ≥ fanOut (orthonormal columns).
    const gram = (w: Float32Array, fanIn: number, fanOut: number, i: number, j: number) => {
      let dot = 0;
      for (let r = 0; r < fanIn; r++) dot += w[r * fanOut + i]! * w[r * fanOut + j]!;
      return dot;
    };
    for (const [i, j] of [
      [0, 0],
      [0, 1],
      [7, 200],
      [255, 255],
    ] as const) {
      expect(gram(w0!, 384, 256, i, j)).toBeCloseTo(i === j ? 2 : 0, 4);
    }
    for (const [i, j] of [
      [0, 0],
      [3, 90],
      [127, 127],
    ] as const) {
      expect(gram(w1!, 256, 128, i, j)).toBeCloseTo(i === j ? 1 : 0, 4);
    }
    expect(b0!.every((v) => v === 0)).toBe(true);
    expect(b1!.every((v) => v === 0)).toBe(true);
  });

  it('a linear projector preserves the cosine of any two content vectors up to random-projection error', () => {
    const theta = initialParameters(LINEAR, 5);
    const x = seededUniforms(384, 1);
    const y = x.map((v, i) => v + 0.5 * seededUniforms(384, 2)[i]!);
    const project = (z: Float32Array) =>
      Float32Array.from({ length: 128 }, (_, j) =>
        z.reduce((s, v, r) => s + v * theta[r * 128 + j]!, 0),
      );
    const cos = (a: Float32Array, b: Float32Array) =>
      a.reduce((s, v, i) => s + v * b[i]!, 0) /
      Math.sqrt(a.reduce((s, v) => s + v * v, 0) * b.reduce((s, v) => s + v * v, 0));
    expect(Math.abs(cos(project(x), project(y)) - cos(x, y))).toBeLessThan(0.1);
  });
});

describe('catalogInitialParameters', () => {
  const SMALL: ProjectorSpec = { kind: 'linear', contentDim: 12, userDim: 4 };

  /** A catalog whose content vectors lie in a 3-d subspace of R^12, off the origin. */
  function lowRankCatalog(count: number): Float32Array {
    const basis = [seededUniforms(12, 1), seededUniforms(12, 2), seededUniforms(12, 3)];
    const out = new Float32Array(count * 12);
    const coefficients = seededUniforms(count * 3, 4);
    for (let r = 0; r < count; r++)
      for (let d = 0; d < 12; d++)
        out[r * 12 + d] = basis.reduce((s, b, k) => s + coefficients[r * 3 + k]! * b[d]!, 0);
    return out;
  }

  it('keeps the centred geometry of a catalog that fits in userDim dimensions exactly', () => {
    const count = 40;
    const content = lowRankCatalog(count);
    const theta = catalogInitialParameters(SMALL, content, count, 9);
    expect(theta).toEqual(catalogInitialParameters(SMALL, content, count, 9));
    const project = (r: number) =>
      Array.from(
        { length: 4 },
        (_, j) =>
          content.subarray(r * 12, r * 12 + 12).reduce((s, v, d) => s + v * theta[d * 4 + j]!, 0) +
          theta[48 + j]!,
      );
    const mean = Array.from({ length: 12 }, (_, d) => {
      let s = 0;
      for (let r = 0; r < count; r++) s += content[r * 12 + d]!;
      return s / count;
    });
    const centred = (r: number) =>
      Array.from({ length: 12 }, (_, d) => content[r * 12 + d]! - mean[d]!);
    const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);
    for (const [a, b] of [
      [0, 1],
      [5, 30],
      [12, 12],
    ] as const) {
      expect(dot(project(a), project(b))).toBeCloseTo(dot(centred(a), centred(b)), 4);
    }
  });

  it('falls back to the orthogonal initialisation for an MLP, and refuses a wrong catalog shape', () => {
    const tinyContent = seededUniforms(5 * TINY_MLP.contentDim, 3);
    expect(catalogInitialParameters(TINY_MLP, tinyContent, 5, 2)).toEqual(
      initialParameters(TINY_MLP, 2),
    );
    expect(() => catalogInitialParameters(SMALL, new Float32Array(11), 1, 0)).toThrow(RangeError);
    expect(() => catalogInitialParameters(SMALL, new Float32Array(0), 0, 0)).toThrow(RangeError);
    expect(() => catalogInitialParameters(SMALL, new Float32Array(12).fill(NaN), 1, 0)).toThrow(
      RangeError,
    );
  });
});

describe.each(TEST_BACKENDS)('Projector on %s', (backend) => {
  beforeAll(() => useBackend(backend));

  it('creates, reads and disposes without leaking tensors', () => {
    const start = tf.memory().numTensors;
    const p = createProjector(LINEAR, { seed: 9 });
    expect(p.parameterCount).toBe(49_280);
    expect(p.getFlatParameters()).toEqual(initialParameters(LINEAR, 9));
    p.dispose();
    p.dispose();
    expect(p.isDisposed).toBe(true);
    expect(tf.memory().numTensors).toBe(start);
    expect(() => p.getFlatParameters()).toThrow(expect.objectContaining({ code: 'INVALID_STATE' }));
  });

  it.each([
    ['linear', LINEAR],
    ['mlp', MLP],
  ])('project() computes normalise(z·W + b) with W stored [in, out] (%s)', async (_label, spec) => {
    const p = createProjector(spec, { seed: 4 });
    const z = seededUniforms(5 * spec.contentDim, 77);
    const start = tf.memory().numTensors;
    const got = p.project(z, 5);
    expect(await p.projectAsync(z, 5)).toEqual(got);
    expect(tf.memory().numTensors).toBe(start);
    expect(relativeError(got, forwardF64(spec, p.getFlatParameters(), z, 5))).toBeLessThan(1e-5);
    p.dispose();
  });

  it('project() rows are unit norm', () => {
    const p = createProjector(TINY_MLP, { seed: 8 });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }).chain((count) =>
          fc.tuple(
            fc.constant(count),
            fc.float32Array({
              minLength: count * 6,
              maxLength: count * 6,
              min: -10,
              max: 10,
              noNaN: true,
            }),
          ),
        ),
        ([count, z]) => {
          const out = rowNorms(p.project(z, count), 4);
          const pre = rowNorms(preActivationF64(TINY_MLP, p.getFlatParameters(), z, count), 4);
          out.forEach((norm, r) => {
            // The contract (MIN_PROJECTION_NORM = 1e-6): unit rows, zero below the threshold.
            // Near the threshold f32 and f64 may disagree on the side, never on the two outcomes.
            if (pre[r]! >= 2e-6) expect(norm).toBeCloseTo(1, 5);
            else if (pre[r]! < 0.5e-6) expect(norm).toBe(0);
            else expect([0, 1].some((v) => Math.abs(norm - v) < 1e-5)).toBe(true);
          });
        },
      ),
      { numRuns: 50 },
    );
    p.dispose();
  });

  it('maps a (near-)zero pre-activation to a zero row, not NaN', () => {
    const p = createProjector(TINY_LINEAR, { parameters: new Float32Array(28) });
    expect(p.project(seededUniforms(12, 1), 2)).toEqual(new Float32Array(8));
    p.setFlatParameters(new Float32Array(28).fill(1e-8));
    expect(p.project(Float32Array.from([1, 0, 0, 0, 0, 0, 1e5, 0, 0, 0, 0, 0]), 2)).toEqual(
      Float32Array.from([0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5]),
    );
    p.dispose();
  });

  it('projects large inputs in chunks and count 0 to nothing', () => {
    const p = createProjector(TINY_LINEAR, { seed: 2 });
    const count = 9000;
    const z = seededUniforms(count * 6, 3);
    const out = p.project(z, count);
    const want = forwardF64(TINY_LINEAR, p.getFlatParameters(), z, count);
    expect(relativeError(out, want)).toBeLessThan(1e-5);
    expect(p.project(new Float32Array(0), 0)).toEqual(new Float32Array(0));
    expect(() => p.project(z, count + 1)).toThrow(RangeError);
    expect(() => p.project(z, -1)).toThrow(/count/);
    p.dispose();
  });

  it('sets parameters and applies scaled updates', () => {
    const start = tf.memory().numTensors;
    const p = createProjector(TINY_MLP, { seed: 1 });
    const theta = seededUniforms(p.parameterCount, 5);
    p.setFlatParameters(theta);
    expect(p.getFlatParameters()).toEqual(theta);
    const delta = seededUniforms(p.parameterCount, 6);
    p.applyUpdate(delta, -0.5);
    expect(
      relativeError(
        p.getFlatParameters(),
        theta.map((v, i) => v - 0.5 * delta[i]!),
      ),
    ).toBeLessThan(1e-7);
    p.applyUpdate(delta);
    expect(
      relativeError(
        p.getFlatParameters(),
        theta.map((v, i) => v + 0.5 * delta[i]!),
      ),
    ).toBeLessThan(1e-7);
    const copy = p.clone();
    expect(copy.getFlatParameters()).toEqual(p.getFlatParameters());
    copy.dispose();
    expect(() => p.setFlatParameters(new Float32Array(3))).toThrow(/must have 59 elements/);
    const bad = theta.slice();
    bad[10] = Infinity;
    expect(() => p.applyUpdate(bad)).toThrow(/delta\[10\] must be finite/);
    expect(() => p.applyUpdate(delta, NaN)).toThrow(/scale/);
    p.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('round-trips through safetensors exactly (every f32 bit pattern but NaN/±Inf)', () => {
    const start = tf.memory().numTensors;
    fc.assert(
      fc.property(
        fc.float32Array({ minLength: 59, maxLength: 59, noNaN: true, noDefaultInfinity: true }),
        (theta) => {
          const p = createProjector(TINY_MLP, { parameters: theta });
          const q = projectorFromSafetensors(p.toSafetensors({ projector_version: '3' }));
          const back = q.getFlatParameters();
          p.dispose();
          q.dispose();
          expect(q.spec).toEqual(p.spec);
          expect(new Uint32Array(back.buffer)).toEqual(new Uint32Array(theta.buffer));
        },
      ),
      { numRuns: 50 },
    );
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('projector safetensors file', () => {
  beforeAll(() => useBackend('cpu'));

  it('uses the documented tensor names, [in, out] shapes and metadata', () => {
    const p = createProjector(LINEAR, { seed: 1 });
    const bytes = p.toSafetensors({ projector_version: '12' });
    const header = headerOf(bytes);
    expect(header['projector.layer0.weight']).toMatchObject({ dtype: 'F32', shape: [384, 128] });
    expect(header['projector.layer0.bias']).toMatchObject({ dtype: 'F32', shape: [128] });
    const file = decodeProjectorFile(bytes);
    expect(file.spec).toEqual({ kind: 'linear', contentDim: 384, userDim: 128 });
    expect(file.metadata).toMatchObject({
      'privads.format': PROJECTOR_FORMAT,
      'privads.kind': 'linear',
      'privads.content_dim': '384',
      'privads.user_dim': '128',
      'privads.weight_layout': 'in_out',
      projector_version: '12',
    });
    expect(() => p.toSafetensors({ 'privads.kind': 'mlp' })).toThrow(RangeError);
    expect(() => p.toSafetensors({ 'privads.kind': 'linear' })).not.toThrow();
    p.dispose();
  });

  it('loads a file written without metadata (as PyTorch would) and infers the spec', () => {
    const theta = initialParameters(TINY_MLP, 3);
    const tensors: Record<string, Tensor> = {};
    for (const b of parameterLayout(TINY_MLP)) {
      tensors[b.name] = {
        dtype: 'F32',
        shape: b.shape,
        data: theta.slice(b.offset, b.offset + b.size),
      };
    }
    const p = projectorFromSafetensors(encodeSafetensors(tensors));
    expect(p).toBeInstanceOf(Projector);
    expect(p.spec).toEqual({ kind: 'mlp', contentDim: 6, userDim: 4, hiddenDim: 5 });
    expect(p.getFlatParameters()).toEqual(theta);
    p.dispose();
  });

  it('rejects malformed projector files with ProtocolError codes', () => {
    const w = { dtype: 'F32', shape: [6, 4], data: new Float32Array(24) } as const;
    const b = { dtype: 'F32', shape: [4], data: new Float32Array(4) } as const;
    const code = (tensors: Record<string, Tensor>, metadata?: Record<string, string>) => {
      try {
        decodeProjectorFile(encodeSafetensors(tensors, metadata));
        return 'ok';
      } catch (error) {
        expect(error).toBeInstanceOf(ProtocolError);
        return (error as ProtocolError).code;
      }
    };
    const ok = { 'projector.layer0.weight': w, 'projector.layer0.bias': b };
    expect(code(ok)).toBe('ok');
    expect(code({ 'projector.layer0.weight': w })).toBe('BAD_HEADER');
    expect(
      code({
        ...ok,
        'projector.layer0.weight': { ...w, dtype: 'F64', data: new Float64Array(24) },
      }),
    ).toBe('BAD_HEADER');
    expect(code({ ...ok, extra: b })).toBe('BAD_HEADER');
    expect(
      code({ ...ok, 'projector.layer0.bias': { ...b, shape: [5], data: new Float32Array(5) } }),
    ).toBe('DIM_MISMATCH');
    expect(
      code({ ...ok, 'projector.layer0.weight': { ...w, shape: [24], data: new Float32Array(24) } }),
    ).toBe('DIM_MISMATCH');
    expect(code(ok, { 'privads.user_dim': '128' })).toBe('BAD_HEADER');
    const nan = new Float32Array(4);
    nan[2] = NaN;
    expect(code({ ...ok, 'projector.layer0.bias': { ...b, data: nan } })).toBe('NON_FINITE');
    expect(() => decodeProjectorFile(new Uint8Array(3))).toThrow(ProtocolError);
  });
});
