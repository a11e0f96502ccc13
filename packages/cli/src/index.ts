/**
 * `@dbvae/cli`: the `dbvae` command line (synth, train, evaluate, risk, demo) and the pieces it
 * is built from, usable on their own: the HTML report writer, its chart builders, per-group
 * metrics, risk-score files, atomic writes and a progress bar.
 *
 * @packageDocumentation
 */
export { runCli, mainHelp, commandHelp, COMMANDS, CLI_VERSION } from './cli';
export { parseCommandArgs, formatOptions, type OptionSpec, type OptionKind, type ParsedValues } from './args';
export { resolvePath, requireInput, type CliIO, type CommandDefinition, type SignalSource } from './command';
export { CliError, UsageError, InputError, NotAvailableError, OutputError, InterruptedError, exitCodeOf, isDbvaeError } from './errors';
export { writeFileAtomic, writeDirAtomic, makeDirs } from './fs-atomic';
export { claimOutput, withOutputs, writeOutputMarker, outputKindOf, OUTPUT_MARKER, type OutputClaim, type ClaimedOutput, type OutputKind, type OutputMarker } from './output-dir';
export { acquireOutputLock, cleanLeftovers, lockPathOf, isProcessAlive, type OutputLock, type LockOwner } from './lock';
export { CHECKPOINT_DIR, type TrainCheckpointState, type MetricsStep, type MetricsEpoch } from './train-checkpoint';
export { ProgressBar, formatSeconds, type ProgressBarOptions, type ProgressOutput } from './progress';
export { groupMetrics, type GroupMetricsResult, type GroupStats, type GroupMetricsOptions } from './group-metrics';
export { formatRiskScores, writeRiskScores, riskFormatFromPath, type RiskScoreRow, type RiskScoreFormat } from './risk-output';
export { synthCommand, runSynth, type SynthOptions } from './commands/synth';
export { trainCommand, runTrain, type TrainOptions, type ModelKind } from './commands/train';
export { evaluateCommand, runEvaluate, formatGroupMetricsTable, writeGroupMetricsJson, type EvaluateOptions } from './commands/evaluate';
export { riskCommand, runRisk, type RiskOptions } from './commands/risk';
export {
  fitRisk,
  fitWrapped,
  scoreRiskChunk,
  saveFittedRisk,
  loadFittedRisk,
  FITTED_RISK_MANIFEST,
  wrapOptionsFor,
  WRAPPER_KINDS,
  RISK_SOURCE,
  SCORE_BATCH,
  type WrapperKind,
  type RiskSource,
  type RiskFitData,
  type FitRiskOptions,
  type FitWrappedOptions,
  type FittedRisk,
  type RiskChunk,
} from './risk-scoring';
export { demoCommand, runDemo, formatDemoSummary, demoTemperature, DEMO_SMALL, DEMO_FULL, DEMO_SKEW, type DemoOptions } from './commands/demo';
export { experimentCommand, runExperiment, gridSettings, TABLE1_ALPHAS, type ExperimentOptions, type ExperimentGrid } from './commands/experiment';
export { runSweep, sweepRows, sweepMarkdown, type SweepPlan, type SweepSetting, type SweepRow, type CellRecord, type CellRunner } from './experiment/sweep';
export { prepareSynthData, runVariant, SYNTH_GROUPS, type SynthDataSettings, type VariantSettings, type VariantKind, type VariantOutcome, type PreparedSynthData, type KeptModel } from './experiment/synth-run';
export { type DemoSummary, type SummaryModel } from './experiment/demo-summary';
export { wilsonInterval, Z95, type Interval } from './stats/wilson';
export { bootstrapInterval, quantile, type BootstrapOptions } from './stats/bootstrap';
export { pairedGroupBootstrap, type PairedGroupComparison, type EstimateInterval } from './stats/paired-bootstrap';
export { compareOverSeeds, meanInterval, tQuantile975, type SeedComparison, type SeedMetrics, type MeanInterval } from './stats/seed-summary';
export { groupAccuracyChart, accuracyVsRiskIntervalChart, groupShareChart, describeRiskTrend } from './report/interval-charts';
export { writeReport, planReport, type WrittenReport, type WriteReportOptions, type PlannedSection, type PlannedItem } from './report/write-report';
export {
  groupProbabilityChart,
  lossCurveChart,
  accuracyVsRiskChart,
  samplingWeightsChart,
  REPORT_PALETTE,
  CHART_CONFIG,
  type ChartSpec,
} from './report/charts';
export { renderChartSvg, svgToPng, ChartRenderError } from './report/render';
export { imageGridPng, toRgbImage, type ImageGridOptions } from './report/image-grid';
export {
  assembleReportHtml,
  escapeHtml,
  inlineSvg,
  type ReportDocument,
  type ReportSection,
  type ReportBlock,
  type ChartBlock,
  type ImageBlock,
  type TableBlock,
  type TextBlock,
  type SummaryCard,
} from './report/html';
export type {
  ReportData,
  RgbImage,
  ImageGridRow,
  ReportImageGrid,
  ModelGroupMetrics,
  LossSeries,
  RiskChunkData,
  AccuracyVsRiskSeries,
  GroupShareSeries,
  SeedTable,
} from './report/types';
export { averageFacesPerPercentile, extremeImages, type PackedImages } from './report/face-grids';
export { latentLogDensity } from './latent-density';
export { saveStoredModel, loadStoredModel, predictPacked, MODEL_MANIFEST, MODEL_SUBDIR, type StoredModel, type StoredModelKind, type ModelManifest } from './model-store';
export { type TrainingMetrics, formatGroupShare } from './commands/train';
export { type DemoResult } from './commands/demo';
export { workerCommand, runWorker, type WorkerOptions } from './commands/worker';
export { fitRiskModel } from './commands/risk';
export { RISK_COLUMNS, riskFileHead, riskFileRow, riskFileTail, type RiskColumn } from './risk-output';
export { replaceFileAtomic } from './fs-atomic';
export type { ChunkScorer, ChunkScoreContext, ScoredImage } from './scoring/chunk-scorer';
export { saveRiskModel, loadRiskModel, riskModelId, readRiskModelManifest, RISK_MODEL_MANIFEST, type RiskModelManifest, type LoadedRiskModel } from './scoring/risk-model-store';
export { ResumableRiskOutput, resumablePaths, type ScoringProgress } from './scoring/resumable-output';
export { scoreInOrder, type ScoreInOrderOptions } from './scoring/score-in-order';
export { scoreChunk, chunkRows, firstImages } from './scoring/score-range';
export { scoreToFile, scoringIdentity, type ScoreToFileOptions, type ScoreToFileResult } from './scoring/score-to-file';
export { createThreadScorer, ScoreThreadError, type ThreadScorer } from './scoring/thread-scorer';
export { readRiskScores } from './scoring/read-risk-scores';
export { connectQueue, parseQueueUrl, QueueConnectionError, type QueueAddress, type ConnectQueueOptions } from './queue/connection';
export { SHARD_QUEUE, shardJobId, type ShardJobData, type ShardJobResult } from './queue/shard-job';
export { processShard, ShardRejectedError, type ShardProcessorContext } from './queue/shard-processor';
export { runShardWorker, workerContext, UNRECOVERABLE_CODES, type ShardWorkerOptions } from './queue/shard-worker';
export { observeShards, type ShardObserver, type ShardObserverHandlers } from './queue/shard-events';
export { runCoordinator, ShardFailedError, type CoordinatorOptions, type CoordinatorResult } from './queue/coordinator';
