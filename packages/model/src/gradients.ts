/**
 * Gradient functions for the few kernels the projector's loss graph uses.
 *
 * Why not `@tensorflow/tfjs-core/dist/register_all_gradients`: that file is an ES module with
 * extension-less relative imports. Bundlers accept it, but Node cannot load it, and Node resolves
 * `@tensorflow/tfjs-core` to its CommonJS bundle, which registers no gradients at all. The
 * simulator, the benchmarks and the tests run the same code in Node, so the package registers
 * what it needs itself, in both environments. The functions below follow tfjs's own
 * (`tfjs-core/src/gradients/*_grad.ts`, Apache-2.0) and are checked against f64 finite differences
 * in `test/round-gradient.test.ts`. A gradient that is already registered (for example because the
 * application imported `@tensorflow/tfjs`) is left alone.
 */
import * as tf from '@tensorflow/tfjs-core';

type Tensor = tf.Tensor;
type Shape = readonly number[];

/** Sums `grad` over the axes that broadcasting added to `shape`, then restores `shape`. */
function unbroadcast(grad: Tensor, shape: Shape, outShape: number[]): Tensor {
  const axes = tf.broadcast_util.getReductionAxes(shape as number[], outShape);
  return tf.reshape(axes.length > 0 ? tf.sum(grad, axes) : grad, shape as number[]);
}

function binaryShapes(saved: Tensor[]): [Tensor, Tensor, number[]] {
  const [a, b] = saved as [Tensor, Tensor];
  return [a, b, tf.broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape)];
}

const configs: tf.GradConfig[] = [
  {
    kernelName: tf.Add,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b, out] = binaryShapes(saved);
      const g = dy as Tensor;
      return { a: () => unbroadcast(g, a.shape, out), b: () => unbroadcast(g, b.shape, out) };
    },
  },
  {
    kernelName: tf.Multiply,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b, out] = binaryShapes(saved);
      const g = dy as Tensor;
      return {
        a: () => unbroadcast(tf.mul(g, b), a.shape, out),
        b: () => unbroadcast(tf.mul(g, a), b.shape, out),
      };
    },
  },
  {
    kernelName: tf.BatchMatMul,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved, attrs) => {
      const [a, b] = saved as [Tensor, Tensor];
      const g = dy as Tensor;
      const { transposeA, transposeB } = attrs as { transposeA: boolean; transposeB: boolean };
      if (!transposeA && !transposeB) {
        return { a: () => tf.matMul(g, b, false, true), b: () => tf.matMul(a, g, true, false) };
      }
      if (!transposeA && transposeB) {
        return { a: () => tf.matMul(g, b, false, false), b: () => tf.matMul(g, a, true, false) };
      }
      if (transposeA && !transposeB) {
        return { a: () => tf.matMul(b, g, false, true), b: () => tf.matMul(a, g, false, false) };
      }
      return { a: () => tf.matMul(b, g, true, true), b: () => tf.matMul(g, a, true, true) };
    },
  },
  {
    kernelName: tf.Sum,
    inputsToSave: ['x'],
    gradFunc: (dy, saved, attrs) => {
      const [x] = saved as [Tensor];
      const { axis } = attrs as { axis: number | number[] };
      const expanded = x.shape.slice();
      for (const ax of tf.util.parseAxisParam(axis, x.shape)) expanded[ax] = 1;
      return { x: () => tf.mul(tf.reshape(dy as Tensor, expanded), tf.ones(x.shape)) };
    },
  },
  {
    kernelName: tf.Relu,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [Tensor];
      return { x: () => tf.mul(dy as Tensor, tf.step(x)) };
    },
  },
  {
    kernelName: tf.Reshape,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => {
      const [x] = saved as [Tensor];
      return { x: () => tf.reshape(dy as Tensor, x.shape) };
    },
  },
];

/** Kernel names whose gradients {@link ensureProjectorGradients} provides. */
export const PROJECTOR_GRADIENT_KERNELS: readonly string[] = configs.map((c) => c.kernelName);

/**
 * Registers the gradient functions the projector's loss needs, unless a gradient for that kernel
 * is already registered. Idempotent and cheap; called by every code path that differentiates.
 */
export function ensureProjectorGradients(): void {
  for (const config of configs) {
    if (tf.getGradient(config.kernelName) === undefined) tf.registerGradient(config);
  }
}
