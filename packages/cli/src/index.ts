/**
 * `@dbvae/cli`: the `dbvae` command line (synth, train, evaluate, risk, demo) and the pieces it
 * is built from, usable on their own: the HTML report writer, its chart builders, per-group
 * metrics, risk-score files, atomic writes and a progress bar.
 *
 * @packageDocumentation
 */
export { runCli, mainHelp, commandHelp, COMMANDS, CLI_VERSION } from './cli';
export { parseCommandArgs, formatOptions, type OptionSpec, type OptionKind, type ParsedValues } from './args';
export { resolvePath, requireInput, type CliIO, type CommandDefinition } from './command';
export { CliError, UsageError, InputError, NotAvailableError, exitCodeOf } from './errors';
export { writeFileAtomic, writeDirAtomic } from './fs-atomic';
export { ProgressBar, formatSeconds, type ProgressBarOptions, type ProgressOutput } from './progress';
export { groupMetrics, type GroupMetricsResult, type GroupStats, type GroupMetricsOptions } from './group-metrics';
export { formatRiskScores, writeRiskScores, riskFormatFromPath, type RiskScoreRow, type RiskScoreFormat } from './risk-output';
export { synthCommand, runSynth, type SynthOptions } from './commands/synth';
export { trainCommand, runTrain, type TrainOptions, type ModelKind } from './commands/train';
export { evaluateCommand, runEvaluate, formatGroupMetricsTable, writeGroupMetricsJson, type EvaluateOptions } from './commands/evaluate';
export { riskCommand, runRisk, type RiskOptions, type WrapperKind } from './commands/risk';
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
