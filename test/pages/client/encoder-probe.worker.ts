/// <reference lib="webworker" />
/**
 * The real PrivAds worker, plus a probe for tests: on the `privads-test:encoder` channel it encodes
 * a text with the worker's own content encoder (`loadContextEncoder`, the per-worker instance the
 * client loaded for the same URLs) and answers with the vector, so that a spec can compare it with
 * the Node encoder's.
 */
import '../../../packages/client/src/privads.worker.js';
import type { WorkerConfig } from '../../../packages/client/src/protocol.js';
import {
  contextEncoderSettings,
  loadContextEncoder,
} from '../../../packages/client/src/worker/context-encoder.js';

interface ProbeRequest {
  readonly type: 'encode';
  /** The resolved options' `assets` and `encoder`, as the page passed them to createPrivAds. */
  readonly config: Pick<WorkerConfig, 'assets' | 'encoder'>;
  readonly texts: readonly string[];
}

const channel = new BroadcastChannel('privads-test:encoder');
channel.onmessage = (event: MessageEvent<ProbeRequest | { type: 'result' }>) => {
  const request = event.data;
  if (request.type !== 'encode') return;
  const settings = contextEncoderSettings(request.config as WorkerConfig);
  if (settings === undefined) throw new Error('the probe needs encoder settings');
  void loadContextEncoder(settings)
    .then(async (encoder) => ({
      type: 'result',
      id: encoder.id,
      vectors: Array.from(await encoder.encode(request.texts)),
    }))
    .catch((error: unknown) => ({ type: 'result', error: String(error) }))
    .then((result) => channel.postMessage(result));
};
