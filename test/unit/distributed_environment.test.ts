import { readDistributedEnvironment, restartCount } from '../../lib/distributed/environment';
import { parseLaunchFlags } from '../../lib/cli/launch_command';
import { workerEnvironment } from '../../lib/distributed/launcher';

const TORCHRUN = {
  RANK: '3',
  LOCAL_RANK: '1',
  WORLD_SIZE: '4',
  LOCAL_WORLD_SIZE: '2',
  GROUP_RANK: '1',
  MASTER_ADDR: '10.0.0.1',
  MASTER_PORT: '29500',
  TORCHELASTIC_RESTART_COUNT: '2',
  TORCHELASTIC_MAX_RESTARTS: '3',
  TORCHELASTIC_RUN_ID: 'job7',
  TORCHELASTIC_USE_AGENT_STORE: 'True',
};

test("torchrun's variables become the worker's place in the job", () => {
  expect(readDistributedEnvironment(TORCHRUN)).toEqual({
    rank: 3,
    localRank: 1,
    worldSize: 4,
    localWorldSize: 2,
    groupRank: 1,
    masterAddr: '10.0.0.1',
    masterPort: 29500,
    restartCount: 2,
    maxRestarts: 3,
    runId: 'job7',
    useAgentStore: true,
  });
  expect(restartCount(TORCHRUN)).toBe(2);
});

test('no WORLD_SIZE, or WORLD_SIZE=1, is a single process', () => {
  expect(readDistributedEnvironment({})).toBeUndefined();
  expect(readDistributedEnvironment({ WORLD_SIZE: '1', RANK: '0' })).toBeUndefined();
});

test.each([
  [{ ...TORCHRUN, RANK: undefined }, /RANK is required/],
  [{ ...TORCHRUN, RANK: '4' }, /RANK=4 must be below WORLD_SIZE=4/],
  [{ ...TORCHRUN, WORLD_SIZE: 'two' }, /WORLD_SIZE="two" must be an integer >= 1/],
  [{ ...TORCHRUN, MASTER_ADDR: '' }, /MASTER_ADDR is required/],
  [{ ...TORCHRUN, MASTER_PORT: '70000' }, /MASTER_PORT=70000 must be a port number/],
  [{ ...TORCHRUN, LOCAL_RANK: '2' }, /LOCAL_RANK=2 must be below LOCAL_WORLD_SIZE=2/],
])('a broken contract names the variable: %#', (env, message) => {
  expect(() => readDistributedEnvironment(env)).toThrow(message);
});

test("launch flags take torchrun's names with dashes or underscores; the rest is the worker's command line", () => {
  const f = parseLaunchFlags([
    '--nproc-per-node=3',
    '--nnodes',
    '2',
    '--node_rank',
    '1',
    '--master-addr',
    'h0',
    '--master_port',
    '1234',
    '--max_restarts',
    '2',
    'train',
    '--nnodes',
    'x',
  ]);
  expect(f).toMatchObject({
    nprocPerNode: 3,
    nnodes: 2,
    nodeRank: 1,
    masterAddr: 'h0',
    masterPort: 1234,
    maxRestarts: 2,
    workerArgv: ['train', '--nnodes', 'x'],
  });
  expect(parseLaunchFlags(['--standalone', '--no_python', 'echo', 'hi'])).toMatchObject({ standalone: true, noPython: true, workerArgv: ['echo', 'hi'] });
});

test("launch flags come from torchrun's PET_<FLAG> variables too; the command line wins", () => {
  const env = { PET_NNODES: '3', PET_NODE_RANK: '2', PET_MASTER_ADDR: 'node0.example', PET_MASTER_PORT: '29600', PET_NO_PYTHON: '0' };
  expect(parseLaunchFlags(['train', '--do_train'], env)).toMatchObject({
    nnodes: 3,
    nodeRank: 2,
    masterAddr: 'node0.example',
    masterPort: 29600,
    noPython: false,
    workerArgv: ['train', '--do_train'],
  });
  expect(parseLaunchFlags(['--node_rank', '1', 'train'], env)).toMatchObject({ nnodes: 3, nodeRank: 1 });
  expect(parseLaunchFlags(['echo'], { PET_STANDALONE: 'true', PET_NO_PYTHON: '1' })).toMatchObject({ standalone: true, noPython: true });
  expect(() => parseLaunchFlags(['train'], { PET_NNODES: 'two' })).toThrow('--nnodes must be an integer >= 1, got "two"');
});

test.each([
  [['--node_rank', '2', '--nnodes', '2', 'train'], /--node_rank 2 must be below --nnodes 2/],
  [['--nnodes', '1:4', 'train'], /elastic node ranges are not supported/],
  [['--nproc_per_node', '0', 'train'], /--nproc_per_node must be an integer >= 1, got "0"/],
  [['--nproc_per_node', '2'], /nothing to run/],
  [['--rdzv-typo', 'x', 'train'], /unknown flag --rdzv-typo/],
])('bad launch flags are refused: %#', (argv, message) => {
  expect(() => parseLaunchFlags(argv)).toThrow(message);
});

test("each worker gets torchrun's environment; OMP_NUM_THREADS splits the cores only when unset", () => {
  const options = {
    nprocPerNode: 2,
    nnodes: 3,
    nodeRank: 2,
    masterAddr: 'h0',
    masterPort: 29500,
    maxRestarts: 1,
    runId: 'r',
    command: ['x'],
    env: { PATH: '/bin' },
  };
  const env = workerEnvironment(options, 1, 1);
  expect(env).toMatchObject({
    RANK: '5',
    LOCAL_RANK: '1',
    WORLD_SIZE: '6',
    LOCAL_WORLD_SIZE: '2',
    GROUP_RANK: '2',
    MASTER_ADDR: 'h0',
    MASTER_PORT: '29500',
    TORCHELASTIC_RESTART_COUNT: '1',
    TORCHELASTIC_MAX_RESTARTS: '1',
    TORCHELASTIC_RUN_ID: 'r',
    PATH: '/bin',
  });
  expect(Number(env.OMP_NUM_THREADS)).toBeGreaterThanOrEqual(1);
  expect(readDistributedEnvironment(env)).toMatchObject({ rank: 5, localRank: 1, worldSize: 6, groupRank: 2, useAgentStore: false });
  expect(workerEnvironment({ ...options, env: { OMP_NUM_THREADS: '7' } }, 0, 0).OMP_NUM_THREADS).toBe('7');
  expect(env.TORCHELASTIC_ERROR_FILE).toBeUndefined();
  expect(workerEnvironment(options, 1, 1, '/tmp/x/attempt_1/1/error.json').TORCHELASTIC_ERROR_FILE).toBe('/tmp/x/attempt_1/1/error.json');
});
