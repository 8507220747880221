/**
 * `@privads/client` — rank ads in the reader's browser, learn the reader's taste on the device, and
 * contribute clipped, noised updates to federated training. This entry is what a publisher's page
 * imports: it is tiny and starts a module worker that does the work (see `docs/api.md`).
 */
export { createPrivAds, type PrivAds } from './client.js';
export { DEFAULT_PRIVACY_FLOOR, DEFAULT_ROUND_OPTIONS } from './options.js';
export type { Listener } from './events.js';
export type {
  DiversityOptions,
  ExplorationOptions,
  FrequencyCapOptions,
  RankingPolicyOptions,
} from './policy/options.js';
export type {
  AdInfo,
  AssetOptions,
  DebugEvent,
  Diagnostics,
  EncoderOptions,
  EngineDecisionInfo,
  RankingPathInfo,
  RankingTimings,
  PqIndexUse,
  MissingAsset,
  EnginePreference,
  ExportedEvent,
  FlushReason,
  FlushResult,
  ForgetOptions,
  ModeSpendReport,
  PrivacyFloor,
  PrivacyMode,
  PrivacyReport,
  PrivAdsEventMap,
  PrivAdsEventType,
  PrivAdsOptions,
  ProfileExport,
  RankContext,
  RankedAd,
  RankRequest,
  RankResult,
  ReadContext,
  ResolvedPrivacyFloor,
  ResolvedRoundOptions,
  RoundOptions,
  Slate,
  UploadRecord,
  WhyThisAd,
} from './types.js';
