// `bertrun launch [torchrun flags] <command | script.js | --no_python program> [args]`
import * as crypto from 'crypto';
import * as os from 'os';
import * as path from 'path';
import { native } from '../native';
import { launch, type LaunchOptions } from '../distributed/launcher';
import { freePort } from '../distributed/free_port';

const USAGE = `usage: bertrun launch [flags] <train|eval|predict ...> | <script.js ...> | --no_python <program ...>

Starts the workers of one node with torchrun's environment (RANK, LOCAL_RANK, WORLD_SIZE,
LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR, MASTER_PORT, TORCHELASTIC_*), as torchrun does.

flags (torchrun's names; dashes or underscores):
  --nproc_per_node N|auto   workers on this node (auto: one per GPU, else one per CPU core); default 1
  --nnodes N                nodes in the job; default 1
  --node_rank R             this node's index, 0..nnodes-1; default 0
  --master_addr HOST        address of node 0 (rank 0 hosts the rendezvous store); default 127.0.0.1
  --master_port PORT        its port; default 29500
  --standalone              one node, a free local port
  --max_restarts K          restart all workers up to K times after a failure; default 0
  --run_id ID               TORCHELASTIC_RUN_ID; default none (random with --standalone)
  --no_python               run the program as given instead of a bertrun command or node script
Each flag may also come from PET_<FLAG> (PET_NNODES=2, PET_MASTER_ADDR=...), as with torchrun;
the command line wins.`;

const BERTRUN_COMMANDS = new Set(['train', 'eval', 'predict', 'env']);
type LaunchFlags = Omit<LaunchOptions, 'command'> & { standalone: boolean; noPython: boolean; workerArgv: string[] };

export async function runLaunch(argv: string[]): Promise<void> {
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h') {
    console.log(USAGE);
    return;
  }
  const flags = parseLaunchFlags(argv);
  if (flags.standalone) {
    flags.masterAddr = '127.0.0.1';
    flags.masterPort = await freePort();
    if (flags.runId === 'none') flags.runId = crypto.randomUUID();
  }
  const code = await launch({ ...flags, command: workerCommand(flags) });
  if (code !== 0) throw new LaunchFailed(code);
}

/** Thrown so main() exits with the launcher's code; the launcher already printed why. */
export class LaunchFailed extends Error {
  constructor(readonly exitCode: number) {
    super(`workers failed (exit ${exitCode})`);
  }
}

const FLAG_NAMES = ['nproc_per_node', 'nnodes', 'node_rank', 'master_addr', 'master_port', 'max_restarts', 'run_id', 'standalone', 'no_python'];
const SWITCHES = new Set(['standalone', 'no_python']);

/**
 * torchrun reads each of its flags from PET_<NAME> too (PET_NNODES, PET_NODE_RANK, ...: what
 * Kubernetes operators set); as there, a flag on the command line wins over the variable.
 */
function flagsFromEnvironment(env: NodeJS.ProcessEnv): string[] {
  const flags: string[] = [];
  for (const name of FLAG_NAMES) {
    const value = env[`PET_${name.toUpperCase()}`];
    if (value === undefined || value === '') continue;
    if (!SWITCHES.has(name)) flags.push(`--${name}=${value}`);
    else if (/^(1|true|yes)$/i.test(value)) flags.push(`--${name}`);
  }
  return flags;
}

export function parseLaunchFlags(commandLine: readonly string[], env: NodeJS.ProcessEnv = process.env): LaunchFlags {
  const argv = [...flagsFromEnvironment(env), ...commandLine];
  const flags: LaunchFlags = {
    nprocPerNode: 1,
    nnodes: 1,
    nodeRank: 0,
    masterAddr: '127.0.0.1',
    masterPort: 29500,
    maxRestarts: 0,
    runId: 'none',
    standalone: false,
    noPython: false,
    workerArgv: [],
  };
  let nprocRaw = '1';
  let i = 0;
  const value = (name: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new Error(`launch: --${name} needs a value`);
    return v;
  };
  const integer = (name: string, raw: string, min: number): number => {
    if (!/^\d+$/.test(raw) || Number(raw) < min) throw new Error(`launch: --${name} must be an integer >= ${min}, got "${raw}"`);
    return Number(raw);
  };
  for (; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('--')) break;
    const [rawName, inline] = arg.slice(2).split(/=(.*)/s, 2);
    const name = rawName.replace(/-/g, '_');
    const get = () => (inline !== undefined ? inline : value(name));
    switch (name) {
      case 'nproc_per_node':
        nprocRaw = get();
        break;
      case 'nnodes': {
        const v = get();
        if (v.includes(':')) throw new Error(`launch: --nnodes ${v}: elastic node ranges are not supported; give a fixed count`);
        flags.nnodes = integer(name, v, 1);
        break;
      }
      case 'node_rank':
        flags.nodeRank = integer(name, get(), 0);
        break;
      case 'master_addr':
        flags.masterAddr = get();
        break;
      case 'master_port':
        flags.masterPort = integer(name, get(), 1);
        break;
      case 'max_restarts':
        flags.maxRestarts = integer(name, get(), 0);
        break;
      case 'run_id':
        flags.runId = get();
        break;
      case 'standalone':
        flags.standalone = true;
        break;
      case 'no_python':
        flags.noPython = true;
        break;
      default:
        throw new Error(`launch: unknown flag --${rawName}\n\n${USAGE}`);
    }
  }
  flags.workerArgv = argv.slice(i);
  if (flags.workerArgv.length === 0) throw new Error(`launch: nothing to run: give a bertrun command, a script or --no_python and a program\n\n${USAGE}`);
  if (flags.standalone && flags.nnodes !== 1) throw new Error('launch: --standalone means one node; drop --nnodes');
  if (flags.nodeRank >= flags.nnodes) throw new Error(`launch: --node_rank ${flags.nodeRank} must be below --nnodes ${flags.nnodes}`);
  if (flags.masterPort > 65535) throw new Error(`launch: --master_port ${flags.masterPort} is not a port number`);
  flags.nprocPerNode = nprocRaw === 'auto' ? autoProcesses() : integer('nproc_per_node', nprocRaw, 1);
  return flags;
}

/** torchrun's auto: one worker per GPU when CUDA is available, else one per CPU core. */
function autoProcesses(): number {
  const info = native().buildInfo();
  return info.cudaAvailable && info.cudaDeviceCount > 0 ? info.cudaDeviceCount : os.availableParallelism();
}

function workerCommand(flags: LaunchFlags): string[] {
  const [first, ...rest] = flags.workerArgv;
  if (flags.noPython) return flags.workerArgv;
  if (BERTRUN_COMMANDS.has(first)) return [process.execPath, path.join(__dirname, 'main.js'), first, ...rest];
  return [process.execPath, first, ...rest];
}
