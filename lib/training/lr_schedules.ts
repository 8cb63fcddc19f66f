// Learning-rate schedules as Hugging Face's get_scheduler defines them. `step` counts optimizer
// steps already taken, so the first update uses factor(0): 0 when there is warm-up, as in HF.

export type ScheduleName = 'linear' | 'cosine' | 'constant' | 'constant_with_warmup';
export const SCHEDULE_NAMES: readonly ScheduleName[] = ['linear', 'cosine', 'constant', 'constant_with_warmup'];

export interface ScheduleOptions {
  name: ScheduleName;
  baseLr: number;
  totalSteps: number;
  warmupSteps: number;
}

/** The multiplier of the base learning rate after `step` optimizer steps. */
export function scheduleFactor(options: ScheduleOptions, step: number): number {
  const { name, totalSteps, warmupSteps } = options;
  if (name === 'constant') return 1;
  if (step < warmupSteps) return step / Math.max(1, warmupSteps);
  if (name === 'constant_with_warmup') return 1;
  if (name === 'linear') return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  // cosine, half a cycle: from 1 down to 0 over the steps after warm-up
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  return Math.max(0, 0.5 * (1 + Math.cos(Math.PI * 2 * 0.5 * progress)));
}

export function learningRate(options: ScheduleOptions, step: number): number {
  return options.baseLr * scheduleFactor(options, step);
}

/** HF's rule: warmup_steps wins when > 0, else ceil(warmup_ratio * total). */
export function warmupStepsFor(totalSteps: number, warmupSteps: number, warmupRatio: number): number {
  return warmupSteps > 0 ? warmupSteps : Math.ceil(warmupRatio * totalSteps);
}
