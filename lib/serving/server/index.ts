// `bertrun serve` as a library: buildServer() and what its options and metrics are made of.
export { buildServer, LOG_LEVELS, type ServedModel, type ServerOptions } from './app';
export { BatchReports, type BatchListener, type BatchReportSource } from './batch_reports';
export { METRIC_NAMES } from './metrics';
export { DEFAULT_SERVER_LIMITS, type ServedPipeline, type ServerLimits } from './server_context';
export type { ErrorBody, ErrorType } from './http_errors';
