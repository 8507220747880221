/// <reference lib="webworker" />
/// <reference types="@webgpu/types" />
import type { WebGpuProbeResult } from './probe-result.js';

const INPUT_LENGTH = 64;

/** y = 2x + 1, one invocation per element: enough to prove the adapter really computes. */
const SHADER = /* wgsl */ `
@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x < arrayLength(&input)) {
    output[id.x] = 2.0 * input[id.x] + 1.0;
  }
}`;

async function probe(): Promise<WebGpuProbeResult> {
  if (!('gpu' in navigator)) return { adapter: false, reason: 'navigator.gpu is missing' };
  const adapter = await navigator.gpu.requestAdapter();
  if (!adapter) return { adapter: false, reason: 'requestAdapter() returned null' };
  const device = await adapter.requestDevice();
  try {
    const bytes = INPUT_LENGTH * Float32Array.BYTES_PER_ELEMENT;
    const input = device.createBuffer({
      size: bytes,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
    });
    device.queue.writeBuffer(
      input,
      0,
      Float32Array.from({ length: INPUT_LENGTH }, (_, i) => i),
    );
    const output = device.createBuffer({
      size: bytes,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
    });
    const readback = device.createBuffer({
      size: bytes,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    const pipeline = device.createComputePipeline({
      layout: 'auto',
      compute: { module: device.createShaderModule({ code: SHADER }), entryPoint: 'main' },
    });
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: input } },
        { binding: 1, resource: { buffer: output } },
      ],
    });
    const encoder = device.createCommandEncoder();
    const pass = encoder.beginComputePass();
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(Math.ceil(INPUT_LENGTH / 64));
    pass.end();
    encoder.copyBufferToBuffer(output, 0, readback, 0, bytes);
    device.queue.submit([encoder.finish()]);
    await readback.mapAsync(GPUMapMode.READ);
    const values = Array.from(new Float32Array(readback.getMappedRange().slice(0)));
    readback.unmap();
    return {
      adapter: true,
      architecture: adapter.info.architecture,
      vendor: adapter.info.vendor,
      isFallbackAdapter: adapter.info.isFallbackAdapter ?? false,
      output: values,
    };
  } finally {
    device.destroy();
  }
}

probe().then(
  (result) => postMessage(result),
  (error: unknown) => postMessage({ adapter: false, reason: `probe failed: ${String(error)}` }),
);
