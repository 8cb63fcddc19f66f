// The end-of-run summary Hugging Face's Trainer.log_metrics prints: a "***** train metrics *****"
// header, then one "  key = value" line per metric, keys sorted and aligned, runtimes as
// h:mm:ss.cc, other fractions rounded to 4 digits.
import type { TrainResult } from './trainer';

export function formatMetrics(split: string, metrics: Record<string, number>): string {
  const entries = Object.keys(metrics)
    .sort()
    .map((key) => [key, formatMetricValue(key, metrics[key])] as const);
  const keyWidth = Math.max(0, ...entries.map(([k]) => k.length));
  const valueWidth = Math.max(0, ...entries.map(([, v]) => v.length));
  return [`***** ${split} metrics *****`, ...entries.map(([k, v]) => `  ${k.padEnd(keyWidth)} = ${v.padStart(valueWidth)}`)].join('\n');
}

/** HF's train metrics of a training run: epoch, train_loss, train_runtime, train_samples(_per_second), train_steps_per_second. */
export function trainMetrics(result: TrainResult, trainSamples?: number): Record<string, number> {
  const { global_step: _step, ...metrics } = result;
  return trainSamples !== undefined ? { ...metrics, train_samples: trainSamples } : metrics;
}

function formatMetricValue(key: string, value: number): string {
  if (key.endsWith('_runtime') && Number.isFinite(value)) {
    const whole = Math.floor(value);
    const hundredths = Math.floor((value - whole) * 100);
    const h = Math.floor(whole / 3600);
    const m = Math.floor((whole % 3600) / 60);
    return `${h}:${String(m).padStart(2, '0')}:${String(whole % 60).padStart(2, '0')}.${String(hundredths).padStart(2, '0')}`;
  }
  return Number.isInteger(value) || !Number.isFinite(value) ? String(value) : String(Math.round(value * 1e4) / 1e4);
}
