/**
 * `@privads/model` — the learning code every party runs: the projector `P_θ` (tfjs), the slate
 * softmax loss and user-update rules (plain typed arrays), the per-round projector gradient, the
 * f64 reference scorer and gradient, and the measured choice of tfjs backend. Isomorphic: no Node
 * or DOM imports (Node-only helpers live in `@privads/model/node`).
 */
export {
  DEFAULT_CONTENT_DIM,
  DEFAULT_HIDDEN_DIM,
  DEFAULT_USER_DIM,
  MLP_ACTIVATION,
  MIN_PROJECTION_NORM,
  PARAMETER_NAMES,
  parameterCount,
  parameterLayout,
  resolveProjectorSpec,
  type ParameterBlock,
  type ProjectorSpec,
  type ResolvedProjectorSpec,
} from './spec.js';
export { DEFAULT_PROJECTOR_SEED, initialParameters, seededUniforms } from './init.js';
export { catalogInitialParameters } from './catalog-init.js';
export {
  Projector,
  createProjector,
  projectorFromSafetensors,
  type CreateProjectorOptions,
} from './projector.js';
export {
  PROJECTOR_FORMAT,
  PROJECTOR_METADATA_KEYS,
  decodeProjectorFile,
  encodeProjectorFile,
  type ProjectorFile,
} from './projector-file.js';
export {
  DEFAULT_NEGATIVE_WEIGHT,
  DEFAULT_READING_WEIGHT,
  DEFAULT_TEMPERATURE,
  DEFAULT_USER_LEARNING_RATE,
  emaUpdate,
  pullToward,
  pushAway,
  slateSoftmaxLoss,
  userGradientStep,
  type SlateStepOptions,
  type UserStepOptions,
} from './user-update.js';
export { DEFAULT_PERSONALIZE_EPOCHS, refitUserVector, type ProjectedClick } from './personalize.js';
export type { NumericArray } from './vector.js';
export type { ClickEvent } from './click-event.js';
export { RoundGradientAccumulator, type RoundGradientOptions } from './round-gradient.js';
export { referenceRoundGradient, referenceRoundLoss } from './reference-gradient.js';
export { referenceScores, referenceTopK } from './reference-scorer.js';
export { popularityBias, popularityPrior, type PopularitySource } from './popularity.js';
export {
  noAdCounts,
  roundUpdateVector,
  type DeviceAdCounts,
  type RoundVector,
  type RoundVectorConfig,
} from './round-vector.js';
export { PROJECTOR_GRADIENT_KERNELS, ensureProjectorGradients } from './gradients.js';
export {
  findGradientBackend,
  gradientBackendCandidates,
  registerGradientBackend,
  unregisterGradientBackend,
  type GradientBackendCandidate,
  type GradientBackendContext,
  type WasmPaths,
} from './backend-registry.js';
export {
  selectGradientBackend,
  type GradientBackendAttempt,
  type GradientBackendReport,
  type SelectGradientBackendOptions,
} from './backend-selection.js';
export {
  checkPqPartitions,
  checkPqStages,
  DEFAULT_PQ_STAGES,
  contentSubspaceChoices,
  defaultContentSubspaces,
  reconstructPq,
  trainContentQuantizer,
  trainProductQuantizer,
  type ContentQuantizerOptions,
  type ProductQuantizerOptions,
} from './product-quantizer.js';
