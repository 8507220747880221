/// <reference lib="webworker" />
import { defaultEngineRegistry } from '../../../packages/client/src/worker/core.js';
import { resolveEngine } from '../../../packages/client/src/engines/resolver.js';
import { engineConformanceCases } from '../../../packages/client/test/engine-conformance.js';
import type { ConformanceReport } from './engines-result.js';

async function run(preference: string): Promise<ConformanceReport> {
  const registry = defaultEngineRegistry();
  let resolution;
  try {
    resolution = await resolveEngine(registry, { preference });
  } catch (error) {
    return { engine: preference, decisions: [], cases: [], error: String(error) };
  }
  const { engine, decisions } = resolution;
  const cases = [];
  for (const testCase of engineConformanceCases()) {
    try {
      await testCase.run(engine);
      cases.push({ name: testCase.name, ok: true });
    } catch (error) {
      cases.push({
        name: testCase.name,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
  engine.dispose();
  return { engine: preference, created: engine.name, decisions: [...decisions], cases };
}

self.onmessage = (event: MessageEvent<string>) => {
  void run(event.data).then((report) => postMessage(report));
};
