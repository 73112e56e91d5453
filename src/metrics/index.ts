/**
 * `hayate/metrics`: Prometheus metrics for hayate servers, fed by the server's diagnostics channels
 * (nothing is counted unless `createMetrics()` subscribes), with bounded label values.
 */
export { createMetrics, DEFAULT_DURATION_BUCKETS } from './metrics.js';
export type { Metrics, MetricsOptions } from './metrics.js';
export { Counter, Gauge, Histogram, LabelValues, DEFAULT_MAX_LABEL_VALUES, OTHER } from './registry.js';
export { UsageError } from '../common/errors.js';
