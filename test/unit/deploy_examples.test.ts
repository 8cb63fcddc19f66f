// examples/deploy/: the Dockerfile and the Kubernetes manifest are not run by CI. What can be
// checked without Docker or a cluster is checked here: every bertrun command line in them goes
// through bertrun's own flag parsers (an unknown or misspelt flag fails), and the manifest's
// pieces fit together (Indexed Job = nodes, node rank = completion index, master address = pod 0
// behind the headless Service of the same file, ranks 0..world-1 exactly once).
import * as fs from 'fs';
import * as path from 'path';
import { parseAllDocuments } from 'yaml';
import { parseFlags, type FlagSchema, type FlagValues } from '../../lib/cli/flags';
import { parseLaunchFlags } from '../../lib/cli/launch_command';
import { TEXT_CLASSIFICATION_FLAGS } from '../../lib/cli/text_classification_flags';
import { QUESTION_ANSWERING_FLAGS } from '../../lib/cli/question_answering_flags';
import { TOKEN_CLASSIFICATION_FLAGS } from '../../lib/cli/token_classification_flags';
import { resolveTrainingArguments, TRAINING_ARGUMENTS } from '../../lib/config/training_arguments';
import { readDistributedEnvironment } from '../../lib/distributed/environment';
import { workerEnvironment } from '../../lib/distributed/launcher';

const DEPLOY = path.join(__dirname, '..', '..', 'examples', 'deploy');
const DOCKERFILE = fs.readFileSync(path.join(DEPLOY, 'Dockerfile'), 'utf8');
const MANIFEST = fs.readFileSync(path.join(DEPLOY, 'k8s-ddp-train.yaml'), 'utf8');

// The schema `bertrun train | eval | predict` parses with for each --task (lib/cli/main.ts).
const TASK_FLAGS: Record<string, FlagSchema> = {
  'text-classification': TEXT_CLASSIFICATION_FLAGS,
  'question-answering': QUESTION_ANSWERING_FLAGS,
  'token-classification': TOKEN_CLASSIFICATION_FLAGS,
};

interface CheckedCommand {
  command: string;
  flags?: FlagValues;
  launch?: ReturnType<typeof parseLaunchFlags>;
  worker?: CheckedCommand;
}

/**
 * Parses a bertrun command line (after `bertrun`) as bertrun would before doing any work; throws
 * what bertrun would print for a flag it does not accept.
 */
function checkBertrunCommand(argv: readonly string[]): CheckedCommand {
  const [command, ...rest] = argv;
  switch (command) {
    case 'launch': {
      const launch = parseLaunchFlags(rest);
      if (launch.noPython) throw new Error('launch --no_python: expected the workers to run a bertrun command');
      return { command, launch, worker: checkBertrunCommand(launch.workerArgv) };
    }
    case 'train':
    case 'eval':
    case 'predict': {
      // main.ts picks the schema by --task (default text-classification); startCommand then parses.
      const taskAt = rest.findIndex((a) => a === '--task' || a.startsWith('--task='));
      const task = taskAt < 0 ? 'text-classification' : rest[taskAt].includes('=') ? rest[taskAt].split('=')[1] : rest[taskAt + 1];
      const schema = TASK_FLAGS[task];
      if (!schema) throw new Error(`--task ${task} is not a task`);
      const flags = parseFlags(rest, schema);
      if (typeof flags.model_name_or_path !== 'string') throw new Error('--model_name_or_path is required');
      if (command === 'train' && typeof flags.output_dir !== 'string') throw new Error('--output_dir is required for training');
      // startCommand's trainingArguments(): the checks across training arguments.
      const given = Object.fromEntries(Object.keys(TRAINING_ARGUMENTS).map((name) => [name, flags[name]]));
      resolveTrainingArguments({ ...given, output_dir: String(flags.output_dir ?? 'out') });
      return { command, flags };
    }
    case 'env':
      if (rest.length > 0) throw new Error(`env takes no arguments, got ${rest.join(' ')}`);
      return { command };
    default:
      throw new Error(`bertrun: unknown command "${command}"`);
  }
}

/** The arguments after `bertrun` (run as `bertrun`, a path to it, or `npx bertrun`), or undefined. */
function afterBertrun(argv: readonly string[]): string[] | undefined {
  const words = argv[0] === 'npx' ? argv.slice(1) : argv;
  return words.length > 0 && path.basename(words[0]) === 'bertrun' ? words.slice(1) : undefined;
}

// ---------------------------------------------------------------- Dockerfile

/** Instructions of a Dockerfile: comments dropped, backslash continuations joined. */
function dockerInstructions(text: string): { instruction: string; rest: string }[] {
  const logical = text
    .split('\n')
    .filter((line) => !/^\s*#/.test(line))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n');
  return logical
    .map((line) => /^\s*([A-Za-z]+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ instruction: m[1].toUpperCase(), rest: m[2].trim() }));
}

/** The command a container of this image runs by default: ENTRYPOINT + CMD, both exec form. */
function dockerDefaultCommand(text: string): string[] {
  const instructions = dockerInstructions(text);
  const execForm = (name: string): string[] => {
    const found = instructions.filter((i) => i.instruction === name);
    if (found.length !== 1) throw new Error(`expected one ${name}, found ${found.length}`);
    const parsed: unknown = JSON.parse(found[0].rest);
    if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) throw new Error(`${name} must be a JSON array of strings`);
    return parsed as string[];
  };
  return [...execForm('ENTRYPOINT'), ...execForm('CMD')];
}

function checkDockerfile(text: string): CheckedCommand {
  const instructions = dockerInstructions(text);
  expect(instructions[0]).toEqual({ instruction: 'FROM', rest: 'node:20-bookworm-slim' });
  // setup installs torch into $BERTRUN_HOME and the container looks there: the ENV must come first.
  const home = instructions.findIndex((i) => i.instruction === 'ENV' && i.rest === 'BERTRUN_HOME=/opt/bertrun');
  const setup = instructions.findIndex((i) => i.instruction === 'RUN' && /\bbertrun setup\b/.test(i.rest));
  expect([home >= 0, setup > home]).toEqual([true, true]);
  const argv = afterBertrun(dockerDefaultCommand(text));
  if (!argv) throw new Error('the ENTRYPOINT does not run bertrun');
  return checkBertrunCommand(argv);
}

test('the Dockerfile installs bertrun, sets it up at build time and its default command parses', () => {
  const checked = checkDockerfile(DOCKERFILE);
  expect(checked.command).toBe('train');
  expect(checked.flags).toMatchObject({ model_name_or_path: '/models/base', train_file: '/data/train.tsv', do_eval: true, output_dir: '/out' });
  const runs = dockerInstructions(DOCKERFILE).filter((i) => i.instruction === 'RUN');
  const at = (pattern: RegExp) => runs.findIndex((r) => pattern.test(r.rest));
  expect(at(/apt-get install .*python3-venv/)).toBeGreaterThanOrEqual(0);
  expect(at(/npm install .*\bbertrun\b/)).toBeGreaterThan(at(/apt-get install/));
  // torch comes after the package: `bertrun setup` is the package's own command.
  expect(at(/\bbertrun setup\b/)).toBeGreaterThan(at(/npm install .*\bbertrun\b/));
});

// ---------------------------------------------------------------- Kubernetes

type Obj = Record<string, unknown>;
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { fieldPath?: string } };
}
interface Container {
  name: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  resources?: { limits?: Record<string, unknown> };
  volumeMounts?: { name: string; mountPath: string; subPath?: string }[];
}
interface Job {
  metadata: { name: string };
  spec: {
    completionMode?: string;
    completions?: number;
    parallelism?: number;
    template: {
      metadata?: { labels?: Record<string, string> };
      spec: { subdomain?: string; containers: Container[]; volumes?: { name: string; persistentVolumeClaim?: { claimName: string } }[] };
    };
  };
}
interface Service {
  metadata: { name: string };
  spec: { clusterIP?: string; selector?: Record<string, string>; ports?: { port: number }[] };
}

const COMPLETION_INDEX_ANNOTATION = "metadata.annotations['batch.kubernetes.io/job-completion-index']";

function manifestObjects(text: string): Obj[] {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new Error('the manifest is not a YAML stream');
  for (const doc of docs) if (doc.errors.length > 0) throw new Error(`YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
  return docs.map((doc) => doc.toJS() as Obj).filter((o) => o !== null);
}

/** kubelet's $(VAR) expansion in command and args, from the container's env (and the pod's completion index). */
function expand(word: string, env: readonly EnvVar[], index: number): string {
  return word.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (_, name: string) => {
    const v = env.find((e) => e.name === name);
    if (name === 'JOB_COMPLETION_INDEX' && (v === undefined || v.valueFrom?.fieldRef?.fieldPath === COMPLETION_INDEX_ANNOTATION)) return String(index);
    if (v?.value === undefined) throw new Error(`$(${name}) is not a plain value in the container's env (kubelet would leave it as is)`);
    return v.value;
  });
}

interface CheckedManifest {
  job: Job;
  service: Service;
  /** Per node (completion index): the parsed `bertrun launch` command line. */
  nodes: CheckedCommand[];
}

function checkManifest(text: string): CheckedManifest {
  const objects = manifestObjects(text);
  const jobs = objects.filter((o) => o.kind === 'Job') as unknown as Job[];
  expect(jobs).toHaveLength(1);
  const job = jobs[0];
  const { spec } = job;
  expect(spec.completionMode).toBe('Indexed');
  const pod = spec.template.spec;
  expect(pod.containers).toHaveLength(1);
  const container = pod.containers[0];
  const env = container.env ?? [];
  const raw = [...(container.command ?? []), ...(container.args ?? [])];
  const argv = afterBertrun(raw);
  if (!argv) throw new Error(`the container does not run bertrun: ${raw.join(' ')}`);
  expect(argv[0]).toBe('launch');
  // The node rank is the pod's completion index.
  expect(argv[argv.indexOf('--node_rank') + 1]).toBe('$(JOB_COMPLETION_INDEX)');
  const declared = env.find((e) => e.name === 'JOB_COMPLETION_INDEX');
  if (declared) expect(declared.valueFrom?.fieldRef?.fieldPath).toBe(COMPLETION_INDEX_ANNOTATION);

  const nodes: CheckedCommand[] = [];
  for (let index = 0; index < (spec.completions ?? 1); index++) nodes.push(checkBertrunCommand(argv.map((w) => expand(w, env, index))));
  const launch = nodes[0].launch!;
  expect(spec.completions).toBe(launch.nnodes);
  expect(spec.parallelism).toBe(launch.nnodes);
  nodes.forEach((node, index) => expect(node.launch!.nodeRank).toBe(index));

  // Rendezvous: pod 0's DNS name through a headless Service of this file that selects the pods.
  const services = (objects.filter((o) => o.kind === 'Service') as unknown as Service[]).filter((s) => s.metadata.name === pod.subdomain);
  expect(services).toHaveLength(1);
  const service = services[0];
  expect(service.spec.clusterIP).toBe('None');
  expect(spec.template.metadata?.labels).toMatchObject(service.spec.selector ?? { selector: 'missing' });
  expect(launch.masterAddr).toMatch(new RegExp(`^${job.metadata.name}-0\\.${service.metadata.name}(\\.|$)`));
  expect(service.spec.ports?.map((p) => p.port)).toContain(launch.masterPort);

  // One worker per GPU of the pod.
  const gpus = container.resources?.limits?.['nvidia.com/gpu'];
  if (gpus !== undefined) expect(launch.nprocPerNode).toBe(Number(gpus));

  // The output directory, which checkpoints and resuming need on every node, is on a shared volume.
  const outputDir = String(nodes[0].worker!.flags!.output_dir);
  const mount = (container.volumeMounts ?? []).find((m) => outputDir === m.mountPath || outputDir.startsWith(m.mountPath.replace(/\/?$/, '/')));
  if (!mount) throw new Error(`--output_dir ${outputDir} is not on a mounted volume`);
  const claim = pod.volumes?.find((v) => v.name === mount.name)?.persistentVolumeClaim?.claimName;
  const pvc = objects.find((o) => o.kind === 'PersistentVolumeClaim' && (o.metadata as Obj).name === claim) as { spec: { accessModes: string[] } } | undefined;
  if (!pvc) throw new Error(`--output_dir ${outputDir}: volume ${mount.name} is not a PersistentVolumeClaim of this file`);
  expect(pvc.spec.accessModes).toContain('ReadWriteMany');
  return { job, service, nodes };
}

test('the Kubernetes manifest: Indexed Job of --nnodes pods, node rank = completion index, master = pod 0 via the headless Service', () => {
  const { nodes } = checkManifest(MANIFEST);
  expect(nodes).toHaveLength(2);
  for (const node of nodes) {
    expect(node.worker!.command).toBe('train');
    expect(node.worker!.flags).toMatchObject({ resume_from_checkpoint: 'latest', device: 'cuda' });
  }
});

test('the workers the launcher starts on the nodes are ranks 0..world-1 once each, with a valid torchrun environment', () => {
  const { job, nodes } = checkManifest(MANIFEST);
  const env = job.spec.template.spec.containers[0].env ?? [];
  const base = Object.fromEntries(env.filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
  const ranks: number[] = [];
  for (const node of nodes) {
    const launch = node.launch!;
    for (let localRank = 0; localRank < launch.nprocPerNode; localRank++) {
      const worker = readDistributedEnvironment(workerEnvironment({ ...launch, command: [], env: base }, localRank, 0));
      expect(worker).toMatchObject({ worldSize: launch.nnodes * launch.nprocPerNode, masterAddr: base.MASTER_ADDR, masterPort: Number(base.MASTER_PORT) });
      ranks.push(worker!.rank);
    }
  }
  expect(ranks.sort((a, b) => a - b)).toEqual([...Array(ranks.length).keys()]);
});

test('a misspelt flag, a wrong node count or a master outside the headless Service fails these checks', () => {
  const broken = (text: string, from: string | RegExp, to: string): string => {
    const changed = text.replace(from, to);
    if (changed === text) throw new Error(`the example no longer contains ${String(from)}`);
    return changed;
  };
  // Unknown flags, in the worker's command, the launcher's, and the Dockerfile's CMD.
  expect(() => checkManifest(broken(MANIFEST, '- --save_total_limit', '- --save_total_limits'))).toThrow(/unknown flag --save_total_limits/);
  expect(() => checkManifest(broken(MANIFEST, '- --nproc_per_node', '- --nprocs_per_node'))).toThrow(/unknown flag --nprocs_per_node/);
  expect(() => checkDockerfile(broken(DOCKERFILE, '"--do_eval"', '"--do_evaluation"'))).toThrow(/unknown flag --do_evaluation/);
  // Structure.
  expect(() => checkManifest(broken(MANIFEST, 'completions: 2', 'completions: 3'))).toThrow(/--node_rank 2 must be below --nnodes 2/);
  expect(() => checkManifest(broken(MANIFEST, 'parallelism: 2', 'parallelism: 1'))).toThrow(/Expected: 2\s+Received: 1/);
  expect(() => checkManifest(broken(MANIFEST, /- --nnodes\n(\s*)- '2'/, "- --nnodes\n$1- '3'"))).toThrow(/Expected: 3\s+Received: 2/);
  expect(() => checkManifest(broken(MANIFEST, 'completionMode: Indexed', 'completionMode: NonIndexed'))).toThrow(/Expected: "Indexed"/);
  expect(() => checkManifest(broken(MANIFEST, 'value: bertrun-ddp-0.bertrun-ddp', 'value: bertrun-ddp-1.bertrun-ddp'))).toThrow(/bertrun-ddp-0/);
  expect(() => checkManifest(broken(MANIFEST, '- $(JOB_COMPLETION_INDEX)', '- "0"'))).toThrow(/JOB_COMPLETION_INDEX/);
  expect(() => checkManifest(broken(MANIFEST, 'clusterIP: None', 'clusterIP: 10.0.0.9'))).toThrow(/Expected: "None"/);
  expect(() => checkManifest(broken(MANIFEST, 'accessModes: [ReadWriteMany]', 'accessModes: [ReadWriteOnce]'))).toThrow(/ReadWriteMany/);
});
