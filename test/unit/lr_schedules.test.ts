// Schedules against transformers' get_scheduler (live, in .venv) and hand-computed points.
import { learningRate, SCHEDULE_NAMES, warmupStepsFor } from '../../lib/training/lr_schedules';
import { runPython } from '../helpers/python';

test('hand-computed points of the linear schedule with warm-up', () => {
  const o = { name: 'linear' as const, baseLr: 1e-3, totalSteps: 10, warmupSteps: 2 };
  // warm-up: 0/2, 1/2; then (10 - s) / 8
  expect([0, 1, 2, 6, 10, 12].map((s) => learningRate(o, s))).toEqual([0, 5e-4, 1e-3, 5e-4, 0, 0]);
  expect(warmupStepsFor(100, 0, 0.06)).toBe(6);
  expect(warmupStepsFor(100, 3, 0.5)).toBe(3);
});

test('every schedule equals transformers.get_scheduler step by step', () => {
  const cases = SCHEDULE_NAMES.flatMap((name) => [
    { name, total: 37, warmup: 5 },
    { name, total: 20, warmup: 0 },
  ]);
  const script = `
import json, sys, torch
from transformers import get_scheduler
out = []
for c in json.loads(sys.argv[1]):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([p], lr=2e-5)
    kwargs = {} if c["name"] == "constant" else {"num_warmup_steps": c["warmup"]}
    if c["name"] in ("linear", "cosine"):
        kwargs["num_training_steps"] = c["total"]
    s = get_scheduler(c["name"], opt, **kwargs)
    lrs = []
    for _ in range(c["total"] + 3):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step(); s.step()
    out.append(lrs)
print(json.dumps(out))`;
  const expected = JSON.parse(runPython(script, [JSON.stringify(cases)])) as number[][];
  cases.forEach((c, i) => {
    const ours = expected[i].map((_, step) => learningRate({ name: c.name, baseLr: 2e-5, totalSteps: c.total, warmupSteps: c.warmup }, step));
    ours.forEach((lr, step) => expect(Math.abs(lr - expected[i][step])).toBeLessThan(1e-15));
  });
});
