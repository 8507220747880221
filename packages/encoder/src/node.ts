/**
 * `@privads/encoder/node` — the onnxruntime-node runner (catalog building on the operator's side),
 * the persistent vector cache and the `privads-encode` CLI.
 */
export {
  createNodeEncoder,
  defaultSpecPath,
  readEncoderSpec,
  type NodeEncoderOptions,
} from './node/node-encoder.js';
export { openFileEncodingCache, type FileEncodingCache } from './node/file-cache.js';
export { ENCODE_CLI_USAGE, runEncodeCli, type CliIo } from './node/cli-main.js';
