/**
 * WGSL kernel of the WebGPU engine: one invocation per catalog row computes
 * `score[i] = scale[i] · Σ_j q_ij · u_j`, with the int8 row values packed four per `u32` (the same
 * bytes as the catalog bundle, so uploading needs no conversion). `extractBits` on an `i32`
 * sign-extends, which gives the exact int8 values (unlike `unpack4x8snorm`, which rescales).
 */
export const SCORE_WGSL = /* wgsl */ `
struct Params {
  rows: u32,
  wordsPerRow: u32,
};

@group(0) @binding(0) var<storage, read> catalog: array<u32>;
@group(0) @binding(1) var<storage, read> scales: array<f32>;
@group(0) @binding(2) var<storage, read> query: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> scores: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

const WORKGROUP_SIZE: u32 = 64u;

@compute @workgroup_size(WORKGROUP_SIZE)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  // Rows beyond 65535 workgroups spill into the y dimension of the dispatch.
  let row = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (row >= params.rows) {
    return;
  }
  let base = row * params.wordsPerRow;
  var acc = vec4<f32>(0.0);
  for (var w = 0u; w < params.wordsPerRow; w++) {
    let packed = bitcast<i32>(catalog[base + w]);
    let values = vec4<f32>(
      f32(extractBits(packed, 0u, 8u)),
      f32(extractBits(packed, 8u, 8u)),
      f32(extractBits(packed, 16u, 8u)),
      f32(extractBits(packed, 24u, 8u)),
    );
    acc += values * query[w];
  }
  scores[row] = scales[row] * (acc.x + acc.y + acc.z + acc.w);
}
`;

/** Invocations per workgroup in {@link SCORE_WGSL}. */
export const SCORE_WORKGROUP_SIZE = 64;
