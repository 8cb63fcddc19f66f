/** Evaluation metrics: classification, regression, and the per-task GLUE choice. */
export { accuracy, confusionMatrix, f1, matthewsCorrelation, precision, precisionRecallF1, recall } from './classification_metrics';
export type { Average, AverageOptions, ConfusionMatrix, PrecisionRecallF1 } from './classification_metrics';
export { averageRanks, meanSquaredError, pearson, spearman } from './regression_metrics';
export { GLUE_TASKS, glueMetrics, resolveGlueTask } from './glue_metrics';
export type { GlueMetricOptions, GlueTask } from './glue_metrics';
export { squadV1Metrics, squadV2Metrics, normalizeAnswer } from './squad_metrics';
export type { SquadGold, SquadV1Result, SquadV2Result } from './squad_metrics';
export { postprocessQaPredictions, writeQaPredictionFiles } from './qa_postprocess';
export type { QaPostprocessOptions, QaPredictions, NBestEntry } from './qa_postprocess';
export * as seqeval from './seqeval';
