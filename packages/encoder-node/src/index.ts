/**
 * `@privads/encoder-node` — the onnxruntime-node runner of the content encoder (catalog building on the operator's side),
 * the persistent vector cache and the `privads-encode` CLI.
 */
export {
  createNodeEncoder,
  defaultSpecPath,
  readEncoderSpec,
  type NodeEncoderOptions,
} from './node-encoder.js';
export { openFileEncodingCache, type FileEncodingCache } from './file-cache.js';
export { ENCODE_CLI_USAGE, runEncodeCli, type CliIo } from './cli-main.js';
