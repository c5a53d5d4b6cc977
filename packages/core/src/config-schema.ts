import { z } from 'zod';
import { checkLimits, MAX_DESCRIPTION_CHARACTERS, MAX_GRID_CELLS } from './config-limits.ts';
import { checkGoldModel } from './gold-config-checks.ts';
import { slurmSettingsSchema } from './slurm-schema.ts';
import { cellCount, cellName, cellsOf, DEFAULT_DPO_LOSSES, DPO_LOSSES, PRESET_NAME_PATTERN } from './pipeline/naming.ts';
import { withSweepDefaults } from './pipeline/sweep-defaults.ts';
import { checkSources, proxyNames, sourcesSchema } from './source-config-checks.ts';

/**
 * The pipeline file (`pipelines/<name>.json`). Every stage reads only its own slice; Nx hashes only the fields a
 * stage reads (see each project's `inputs`), so keep sweep values here rather than in project.json.
 */

const positiveInt = z.number().int().min(1);

/** One transformer size in the family. Policies and proxy RMs are drawn from this table by name. */
export const modelSizeSchema = z.strictObject({
  layers: positiveInt.max(48),
  dModel: positiveInt.max(4096),
  heads: positiveInt.max(64),
  /** MLP hidden width as a multiple of dModel (GPT-2 uses 4). */
  mlpRatio: positiveInt.max(8).default(4),
});

export const corpusSchema = z.strictObject({
  source: z.enum(['brown']),
  /** Use only the first N documents (sorted by id): lets the test preset run in seconds. */
  maxDocuments: positiveInt.max(500).default(500),
  /** Fraction of documents held out for validation loss and prompts; never trained on. */
  validationFraction: z.number().gt(0).lt(0.5).default(0.1),
});

export const tokenizerSchema = z.strictObject({
  /** Byte-level BPE: 256 bytes + end-of-text + merges. */
  vocabSize: z.number().int().min(257).max(16384),
});

export const promptsSchema = z.strictObject({
  /** How many prompts (held-out sentence openings) to write for later stages. */
  count: positiveInt.max(1_000_000),
  minWords: positiveInt.max(32),
  maxWords: positiveInt.max(32),
  /**
   * Longest prompt in tokens: a longer one is cut back word by word (a sentence whose first minWords words are
   * longer is skipped). prompts.maxTokens + label.responseTokens must fit in pretrain.contextLength.
   */
  maxTokens: positiveInt.max(1024),
});

export const pretrainSchema = z.strictObject({
  /** Which entries of `models` to pretrain: the policy sizes and every size a proxy RM starts from. */
  sizes: z.array(z.string().min(1)).min(1),
  contextLength: z.number().int().min(8).max(1024),
  batchSize: positiveInt.max(4096),
  steps: positiveInt.max(10_000_000),
  learningRate: z.number().gt(0).max(1),
  /** Linear warm-up, then cosine decay to `minLearningRateFraction` of the peak. */
  warmupSteps: z.number().int().min(0),
  minLearningRateFraction: z.number().min(0).max(1).default(0.1),
  weightDecay: z.number().min(0).max(1).default(0),
  gradientClip: z.number().gt(0).default(1),
  evalEvery: positiveInt,
  evalBatches: positiveInt.max(10_000),
  /** How many sizes train at once, each in its own process (wasm runs one thread per process). 0 = one per core. */
  parallelism: z.number().int().min(0).max(64).default(0),
});

export const policySchema = z.strictObject({
  /** Policy sizes (names in `models`); the first is the default policy. */
  sizes: z.array(z.string().min(1)).min(1),
});

/** What every reward model's training reads (the gold RM's and each proxy's). */
const rewardTrainingShape = {
  /** Passes over the comparisons, at least minSteps steps; no early stopping, as in the paper. */
  epochs: z.number().gt(0).max(1000),
  minSteps: z.number().int().min(0).default(0),
  batchSize: positiveInt.max(4096),
  learningRate: z.number().gt(0).max(1),
  warmupSteps: z.number().int().min(0).default(0),
  weightDecay: z.number().min(0).max(1).default(0),
  gradientClip: z.number().gt(0).default(1),
};

/** What the gold RM trains on (gold.model, read when gold.kind is "model"): see packages/gold-rm. */
export const goldTrainingSchema = z.strictObject(rewardTrainingShape);

export const goldModelSchema = z.strictObject({
  /** The gold RM's size: a name in `models`, pretrained, at least as large as every proxy size. */
  size: z.string().min(1),
  /**
   * Prompts whose samples the human labels for the gold RM: the first ones of pretrain's prompts that are not
   * label's evaluation prompts and that fit the context with the longest of `responseTokens`.
   */
  prompts: positiveInt.max(1_000_000),
  /** Sampling temperatures of the initial policy: the gold RM sees more than the initial distribution. */
  temperatures: z.array(z.number().gt(0).max(10)).min(1),
  /** Response length budgets (tokens): every prompt gets samples at every temperature × length. */
  responseTokens: z.array(positiveInt.max(1024)).min(1),
  /** Samples per prompt at each temperature × length; every pair of a prompt's samples is a comparison. */
  samplesPerSetting: positiveInt.max(64).default(1),
  /** Fraction of the gold RM's prompts held out to measure its accuracy against the human. */
  validationFraction: z.number().gt(0).lt(0.5).default(0.1),
  /** Prompts per sampling batch. */
  sampleBatchSize: positiveInt.max(4096).default(64),
  /** Sequences per forward pass when the frozen gold RM scores samples (here and in label, bon, ppo). */
  scoringBatchSize: positiveInt.max(65_536).default(256),
  training: goldTrainingSchema,
});

/**
 * The gold reward. The "human" is a fixed, documented scorer (packages/gold/src/human.ts): sentiment of the
 * response minus penalties for degenerate text the initial policy rarely produces, plus (fluencyWeight > 0) how well
 * a fixed reader predicts the response given the prompt; its weights are the fields below. `kind` "model" (the paper's setup) trains a gold RM once on comparisons the human labelled (the gold-rm
 * stage) and the gold is that frozen RM; "lexicon" uses the human directly as the gold.
 */
export const goldSchema = z.strictObject({
  kind: z.enum(['model', 'lexicon']),
  /** Weight on the fraction of words that repeat an earlier word of the response. */
  repetitionWeight: z.number().min(0).max(10).default(1),
  /** Responses with fewer words than this lose `shortWeight`. */
  minWords: z.number().int().min(0).max(100).default(4),
  shortWeight: z.number().min(0).max(10).default(1),
  /** Each word beyond maxWords costs longWeight / maxWords. */
  maxWords: z.number().int().min(1).max(1000).default(40),
  longWeight: z.number().min(0).max(10).default(1),
  /** Weight on the fraction of alphabetic words not in the English word list. */
  nonWordWeight: z.number().min(0).max(10).default(1),
  /**
   * Weight on fluency: the mean ln-probability per response token under the reader (a Kneser–Ney n-gram model of the
   * Brown training documents over the pipeline's tokens, given the prompt). 0 switches it off (no reader is built).
   */
  fluencyWeight: z.number().min(0).max(10).default(0),
  /** The reader's n-gram order (tokens of context + 1); tokenizer.vocabSize^readerOrder must stay ≤ 2^53. */
  readerOrder: z.number().int().min(1).max(8).default(4),
  /** The gold RM: required when kind is "model", not allowed when kind is "lexicon". */
  model: goldModelSchema.optional(),
});

export const labelSchema = z.strictObject({
  /** Prompts whose samples become RM comparisons (the first ones of pretrain's prompts). */
  prompts: positiveInt.max(1_000_000),
  /** The next prompts, held out from RM training for best-of-n and RL evaluation. */
  evalPrompts: positiveInt.max(1_000_000),
  samplesPerPrompt: z.number().int().min(2).max(64),
  /** Tokens generated per response at most (sampling stops at end-of-text). */
  responseTokens: positiveInt.max(1024),
  temperature: z.number().gt(0).max(10).default(1),
  /** Expected fraction of wrong labels: 2 × labelNoise of the labels are replaced by fair coin flips. */
  labelNoise: z.number().min(0).max(0.5).default(0),
  /** Fraction of RM prompts whose comparisons are held out for RM validation. */
  validationFraction: z.number().gt(0).lt(0.5).default(0.1),
  /** Prompts per sampling batch. */
  batchSize: positiveInt.max(4096).default(64),
});

const proxySeed = z.number().int().min(0).max(1_000_000);

/**
 * Replicate seeds at chosen RM sizes only (say the smallest and largest), at every comparisons count: a full
 * product with more seeds would multiply every size's cost. Checked against the grid in config-limits.ts.
 */
export const extraSeedsSchema = z.strictObject({
  /** Sizes of proxy.grid.sizes that get the extra seeds. */
  sizes: z.array(z.string().min(1)).min(1).max(MAX_GRID_CELLS),
  /** Seeds trained at those sizes besides proxy.grid.seeds; none may repeat one of proxy.grid.seeds. */
  seeds: z.array(proxySeed).min(1).max(MAX_GRID_CELLS),
});

export const proxyGridSchema = z.strictObject({
  /** RM sizes (names in `models`, each pretrained) × training comparison counts × seeds: one proxy RM per cell. */
  sizes: z.array(z.string().min(1)).min(1).max(MAX_GRID_CELLS),
  comparisons: z.array(positiveInt).min(1).max(MAX_GRID_CELLS),
  seeds: z.array(proxySeed).min(1).max(MAX_GRID_CELLS),
  /** Absent: the full product only. Present: also, at each of its sizes, every comparisons count × each of its seeds. */
  extraSeeds: extraSeedsSchema.optional(),
});

export const proxyTrainingSchema = z.strictObject({
  ...rewardTrainingShape,
  /** Samples of the initial policy scored to centre each proxy (mean proxy score 0 on the initial policy). */
  centeringSamples: positiveInt.max(1_000_000).default(1000),
});

export const proxySchema = z.strictObject({
  grid: proxyGridSchema,
  training: proxyTrainingSchema,
});

export const bonSchema = z.strictObject({
  /** A pool of samples per evaluation prompt from the initial policy, scored once by gold and by every proxy. */
  pool: z.strictObject({
    /** How many of label's evaluation prompts (held out from RM training) to use. */
    prompts: positiveInt.max(100_000),
    /** N: at least the largest n of the curve. */
    samplesPerPrompt: z.number().int().min(2).max(1_000_000),
    batchSize: positiveInt.max(65_536).default(256),
  }),
  scoring: z.strictObject({ batchSize: positiveInt.max(65_536).default(256) }),
  /**
   * Proxies to run best-of-n against: cells (names `<size>-n<comparisons>-s<seed>`) or sources (the names of
   * `sources`); default every cell of proxy.grid, then every declared source.
   */
  proxies: z.array(z.string().min(1)).min(1).optional(),
  curves: z.strictObject({
    /** n values; default the 1-2-5 grid up to the pool size. */
    ns: z.array(positiveInt).min(1).optional(),
    bootstrapResamples: positiveInt.max(100_000).default(1000),
    confidence: z.number().gt(0).lt(1).default(0.95),
  }),
});

export const ppoSchema = z.strictObject({
  /**
   * Runs = proxies × klCoefficients × policies: one PPO run (and one cached Nx task) per combination. A proxy is a
   * cell of proxy.grid or a declared source (`sources`).
   */
  proxies: z.array(z.string().min(1)).min(1),
  /**
   * β_KL of the per-token penalty β_KL·(log π − log π_init). Default [0] (the paper's), and ppo.policies default every
   * policy size: both filled in by the pipeline schema below from pipeline/sweep-defaults.ts, the one place they are written.
   */
  klCoefficients: z.array(z.number().min(0).max(100)).min(1).optional(),
  /** Policy sizes to train (names in policy.sizes). */
  policies: z.array(z.string().min(1)).min(1).optional(),
  /** PPO iterations: each samples a rollout batch, then optimises on it for `epochs` passes. */
  iterations: positiveInt.max(1_000_000),
  /** Prompts (one response each) per rollout. */
  batchSize: positiveInt.max(65_536),
  minibatches: positiveInt.max(4096),
  epochs: positiveInt.max(100),
  learningRate: z.number().gt(0).max(1),
  /** "linear" anneals the learning rate to 0 over the iterations (as lm-human-preferences does); "constant" keeps it. */
  learningRateSchedule: z.enum(['constant', 'linear']).default('constant'),
  clipRange: z.number().gt(0).max(10).default(0.2),
  valueClipRange: z.number().gt(0).max(100).default(0.2),
  valueCoefficient: z.number().min(0).max(100).default(0.1),
  gamma: z.number().min(0).max(1).default(1),
  gaeLambda: z.number().min(0).max(1).default(0.95),
  gradientClip: z.number().gt(0).default(1),
  /** Sampling temperature of rollouts and evaluation samples (1 = the policy itself, as KL assumes). */
  temperature: z.number().gt(0).max(10).default(1),
  /**
   * "initial-policy-std" divides the proxy's score by its standard deviation on the initial policy's samples (the
   * proxy's centring samples), as lm-human-preferences normalises its reward, so β_KL and the learning rate mean the
   * same for every proxy; "none" optimises the centred score as it is.
   */
  rewardNormalisation: z.enum(['initial-policy-std', 'none']).default('initial-policy-std'),
  /** Save a resumable checkpoint every this many iterations. */
  checkpointEvery: positiveInt.max(1_000_000).default(10),
  eval: z.strictObject({
    /** How many of label's evaluation prompts (held out from RM training) to evaluate on. */
    prompts: positiveInt.max(100_000),
    samplesPerPrompt: positiveInt.max(10_000),
    /** Evaluations at iteration 0 and on a geometric grid of about this many iterations up to the last. */
    points: z.number().int().min(2).max(1000),
    bootstrapResamples: positiveInt.max(100_000).default(1000),
    confidence: z.number().gt(0).lt(1).default(0.95),
  }),
});

/**
 * Direct alignment (packages/dpo): the initial policy (the first of policy.sizes) trained on a proxy cell's training
 * comparisons, the very pairs that trained that proxy, with no reward model in between. Runs = proxies × losses ×
 * betas, one cached Nx task each.
 */
export const dpoSchema = z.strictObject({
  /** Proxy cells whose training comparisons (label's first `comparisons` training pairs) each run learns from. */
  proxies: z.array(z.string().min(1)).min(1),
  /** "dpo": −log σ(β·h); "ipo": (h − 1/(2β))² (Azar et al.), h = Δ log π − Δ log π_ref of a pair. Default ["dpo"]. */
  losses: z
    .array(z.enum(DPO_LOSSES))
    .min(1)
    .default([...DEFAULT_DPO_LOSSES]),
  /** β of the loss: the strength of the implicit KL regularisation (smaller β moves further from the reference). */
  betas: z.array(z.number().gt(0).max(100)).min(1),
  /** Passes over the comparisons (a fraction is allowed: the number of steps is rounded up). */
  epochs: z.number().gt(0).max(1000),
  /** Comparisons per AdamW step. */
  batchSize: positiveInt.max(4096),
  learningRate: z.number().gt(0).max(1),
  weightDecay: z.number().min(0).max(1).default(0),
  gradientClip: z.number().gt(0).default(1),
  /** Save a resumable checkpoint every this many steps. */
  checkpointEvery: positiveInt.max(1_000_000).default(10),
  eval: z.strictObject({
    /** How many of label's evaluation prompts (held out from RM training) to sample the policy on. */
    prompts: positiveInt.max(100_000),
    samplesPerPrompt: positiveInt.max(10_000),
    /** Evaluations at step 0 and on a geometric grid of about this many steps up to the last. */
    points: z.number().int().min(2).max(1000),
    /** Held-out comparisons (label's validation pairs, never trained on) on which the implicit reward's accuracy is measured. */
    comparisons: positiveInt.max(1_000_000),
    /** Sequences per sampling and scoring batch. */
    batchSize: positiveInt.max(65_536).default(64),
    bootstrapResamples: positiveInt.max(100_000).default(1000),
    confidence: z.number().gt(0).lt(1).default(0.95),
  }),
});

export const fitSchema = z.strictObject({
  bootstrapResamples: positiveInt.max(100_000).default(1000),
  confidence: z.number().gt(0).lt(1).default(0.95),
  /** Extrapolation check: fit on d ≤ this fraction of the largest d, predict the rest (as the paper did). */
  extrapolationFraction: z.number().gt(0).lt(1).default(0.5),
});

/**
 * How the native engine computes: `bf16` runs the matrix products (forward, backward, KV-cache decoding) in bfloat16
 * with float32 accumulation where the CPU has AVX512_BF16, else in fp32. `--precision` and GOODHART_PRECISION
 * override it; the tfjs engine always computes in fp32.
 */
export const computeSchema = z.strictObject({
  precision: z.enum(['fp32', 'bf16']).default('fp32'),
});

export const pipelineSchema = z
  .strictObject({
    /** Must match the file name: artifacts go to artifacts/<name>/. */
    name: z.string().regex(PRESET_NAME_PATTERN, 'lower-case letters and digits in words joined by single dashes'),
    description: z.string().max(MAX_DESCRIPTION_CHARACTERS).default(''),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1),
    corpus: corpusSchema,
    tokenizer: tokenizerSchema,
    prompts: promptsSchema,
    models: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lower-case letters, digits and dashes'), modelSizeSchema),
    pretrain: pretrainSchema,
    policy: policySchema,
    gold: goldSchema,
    label: labelSchema,
    proxy: proxySchema,
    /** Reward sources besides the single cells: ensembles and weight averages of cells (source-config-checks.ts). */
    sources: sourcesSchema.optional(),
    bon: bonSchema,
    /** Absent: no RL runs (the report marks the RL findings untestable). */
    ppo: ppoSchema.optional(),
    /** Absent: no direct-alignment runs (the DPO finding is untestable). */
    dpo: dpoSchema.optional(),
    fit: fitSchema.default({ bootstrapResamples: 1000, confidence: 0.95, extrapolationFraction: 0.5 }),
    compute: computeSchema.default({ precision: 'fp32' }),
    /** Job settings for `--executor slurm`; read by no stage and hashed by no task. */
    slurm: slurmSettingsSchema.optional(),
  })
  .superRefine((config, ctx) => {
    const known = Object.keys(config.models);
    const requireModel = (path: (string | number)[], name: string): void => {
      if (!(name in config.models)) {
        ctx.addIssue({
          code: 'custom',
          path,
          input: name,
          message: `no model size named "${name}"; defined in "models": ${known.join(', ') || '(none)'}`,
        });
      }
    };
    for (const [name, size] of Object.entries(config.models)) {
      if (size.dModel % size.heads !== 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['models', name, 'heads'],
          input: size.heads,
          message: `must divide dModel (${size.dModel})`,
        });
      }
    }
    config.pretrain.sizes.forEach((name, i) => requireModel(['pretrain', 'sizes', i], name));
    config.policy.sizes.forEach((name, i) => {
      requireModel(['policy', 'sizes', i], name);
      if (name in config.models && !config.pretrain.sizes.includes(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['policy', 'sizes', i],
          input: name,
          message: `policy size "${name}" must also be listed in pretrain.sizes`,
        });
      }
    });
    config.proxy.grid.sizes.forEach((name, i) => {
      requireModel(['proxy', 'grid', 'sizes', i], name);
      if (name in config.models && !config.pretrain.sizes.includes(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['proxy', 'grid', 'sizes', i],
          input: name,
          message: `proxy RM size "${name}" starts from a pretrained LM, so it must also be listed in pretrain.sizes`,
        });
      }
    });
    if (config.label.prompts + config.label.evalPrompts > config.prompts.count) {
      ctx.addIssue({
        code: 'custom',
        path: ['label', 'evalPrompts'],
        input: config.label.evalPrompts,
        message: `label.prompts + label.evalPrompts (${config.label.prompts + config.label.evalPrompts}) must be ≤ prompts.count (${config.prompts.count})`,
      });
    }
    if (config.bon.pool.prompts > config.label.evalPrompts) {
      ctx.addIssue({
        code: 'custom',
        path: ['bon', 'pool', 'prompts'],
        input: config.bon.pool.prompts,
        message: `must be ≤ label.evalPrompts (${config.label.evalPrompts}): best-of-n uses prompts held out from RM training`,
      });
    }
    for (const [i, n] of (config.bon.curves.ns ?? []).entries()) {
      if (n > config.bon.pool.samplesPerPrompt) {
        ctx.addIssue({
          code: 'custom',
          path: ['bon', 'curves', 'ns', i],
          input: n,
          message: `must be ≤ bon.pool.samplesPerPrompt (${config.bon.pool.samplesPerPrompt})`,
        });
      }
    }
    // A grid over the size limit is reported by checkLimits; listing its cells could take minutes.
    const { grid } = config.proxy;
    const cells = cellCount(grid) <= MAX_GRID_CELLS ? new Set(cellsOf(grid).map(cellName)) : undefined;
    if (config.sources) {
      checkSources(config.sources, grid, (path, input, message) => ctx.addIssue({ code: 'custom', path, input, message }));
    }
    // A DPO run trains on a cell's own comparisons, so it names a grid cell, never a source.
    const requireCell = (path: (string | number)[], cell: string): void => {
      if (cells && !cells.has(cell))
        ctx.addIssue({ code: 'custom', path, input: cell, message: `not a cell of proxy.grid; cells are ${[...cells].join(', ')}` });
    };
    const requireProxy = (path: (string | number)[], name: string): void => {
      if (cells && !cells.has(name) && !(config.sources && name in config.sources)) {
        const message = config.sources
          ? `not a cell of proxy.grid or a source of "sources"; they are ${proxyNames([...cells], config.sources).join(', ')}`
          : `not a cell of proxy.grid; cells are ${[...cells].join(', ')}`;
        ctx.addIssue({ code: 'custom', path, input: name, message });
      }
    };
    (config.bon.proxies ?? []).forEach((name, i) => requireProxy(['bon', 'proxies', i], name));
    if (config.ppo) {
      config.ppo.proxies.forEach((name, i) => requireProxy(['ppo', 'proxies', i], name));
      (config.ppo.policies ?? []).forEach((size, i) => {
        if (!config.policy.sizes.includes(size)) {
          ctx.addIssue({ code: 'custom', path: ['ppo', 'policies', i], input: size, message: `not in policy.sizes (${config.policy.sizes.join(', ')})` });
        }
      });
      if (config.ppo.eval.prompts > config.label.evalPrompts) {
        ctx.addIssue({
          code: 'custom',
          path: ['ppo', 'eval', 'prompts'],
          input: config.ppo.eval.prompts,
          message: `must be ≤ label.evalPrompts (${config.label.evalPrompts})`,
        });
      }
      if (config.ppo.batchSize % config.ppo.minibatches !== 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['ppo', 'minibatches'],
          input: config.ppo.minibatches,
          message: `must divide ppo.batchSize (${config.ppo.batchSize})`,
        });
      }
    }
    if (config.dpo) {
      config.dpo.proxies.forEach((cell, i) => requireCell(['dpo', 'proxies', i], cell));
      if (config.dpo.eval.prompts > config.label.evalPrompts) {
        ctx.addIssue({
          code: 'custom',
          path: ['dpo', 'eval', 'prompts'],
          input: config.dpo.eval.prompts,
          message: `must be ≤ label.evalPrompts (${config.label.evalPrompts})`,
        });
      }
    }
    checkGoldModel(config, ctx);
    if (config.prompts.minWords > config.prompts.maxWords) {
      ctx.addIssue({
        code: 'custom',
        path: ['prompts', 'minWords'],
        input: config.prompts.minWords,
        message: `must be ≤ prompts.maxWords (${config.prompts.maxWords})`,
      });
    }
    if (config.pretrain.warmupSteps >= config.pretrain.steps) {
      ctx.addIssue({
        code: 'custom',
        path: ['pretrain', 'warmupSteps'],
        input: config.pretrain.warmupSteps,
        message: `must be < pretrain.steps (${config.pretrain.steps})`,
      });
    }
    checkLimits(config, ctx);
  })
  // After the checks, so a problem is reported at the field the file wrote (or left out).
  .transform((config) => ({ ...config, ppo: config.ppo && { ...config.ppo, ...withSweepDefaults(config.ppo, config.policy.sizes) } }));

export type PipelineConfig = z.infer<typeof pipelineSchema>;
export type ModelSize = z.infer<typeof modelSizeSchema>;
export type PretrainConfig = z.infer<typeof pretrainSchema>;
export type GoldConfig = z.infer<typeof goldSchema>;
export type GoldModelConfig = z.infer<typeof goldModelSchema>;
export type GoldTrainingConfig = z.infer<typeof goldTrainingSchema>;
/** The human labeller's weights: the gold section without its kind and model. */
export type HumanConfig = Omit<GoldConfig, 'kind' | 'model'>;
export type LabelConfig = z.infer<typeof labelSchema>;
export type ProxyTrainingConfig = z.infer<typeof proxyTrainingSchema>;
export type BonConfig = z.infer<typeof bonSchema>;
/** A pipeline's ppo section as parsed: the sweep's lists filled in. */
export type PpoConfig = NonNullable<PipelineConfig['ppo']>;
/** A pipeline's dpo section as parsed (its losses default to DEFAULT_DPO_LOSSES). */
export type DpoConfig = NonNullable<PipelineConfig['dpo']>;
export type FitConfig = z.infer<typeof fitSchema>;
export type ComputeConfig = z.infer<typeof computeSchema>;
