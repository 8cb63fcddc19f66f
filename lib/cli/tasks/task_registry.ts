// The --task names and the task each one runs, in one place: `bertrun train|eval|predict`
// dispatches through it and `bertrun sweep` reads a task's flag schema from it.
import type { FlagSchema } from '../flags';
import type { Command } from '../command_common';
import type { Task } from '../task_runner';
import type { TASKS } from '../training_flags';

type TaskName = (typeof TASKS)[number];

const LOADERS: Record<TaskName, () => Promise<Task<never>>> = {
  'text-classification': async () => (await import('./text_classification_task')).TEXT_CLASSIFICATION as Task<never>,
  'question-answering': async () => (await import('./question_answering_task')).QUESTION_ANSWERING as Task<never>,
  'token-classification': async () => (await import('./token_classification_task')).TOKEN_CLASSIFICATION as Task<never>,
  'finqa-program': async () => (await import('./finqa_program_task')).FINQA_PROGRAM as Task<never>,
  'fill-mask': async () => (await import('./fill_mask_task')).FILL_MASK as Task<never>,
};

/** The task of a --task value; an unknown value gets text-classification, whose flag check then names the choices. */
function loadTask(name: string): Promise<Task<never>> {
  return (Object.prototype.hasOwnProperty.call(LOADERS, name) ? LOADERS[name as TaskName] : LOADERS['text-classification'])();
}

export async function runNamedTask(name: string, command: Command, argv: string[]): Promise<void> {
  const { runTask } = await import('../task_runner');
  return runTask(await loadTask(name), command, argv);
}

export async function taskFlags(name: string): Promise<FlagSchema> {
  return (await loadTask(name)).flags;
}
