import { z } from 'zod';
import { STAGES } from './pipeline/registry.ts';

/**
 * The optional `slurm` section of a pipeline file: how `npm run pipeline -- --executor slurm` asks Slurm for each
 * task's resources. No stage reads it and no task hashes it, so editing it never invalidates a cached result.
 *
 *   "slurm": {
 *     "partition": "gpu",                 sbatch --partition
 *     "timeLimit": "02:00:00",            sbatch --time, for every task unless its kind overrides it
 *     "cpus": 1, "memory": "4G",          per task, unless its kind overrides them
 *     "kinds": { "ppo": { "cpus": 4, "memory": "8G", "timeLimit": "1-00:00:00" } },
 *     "extraArgs": ["--qos=normal"]       passed to every sbatch as they are
 *   }
 *
 * A task's kind is its stage's package (the Nx project name before "--"): pretrain, gold-rm, label, proxy, bon, ppo,
 * fit — every package of the stage registry.
 */
export const SLURM_TASK_KINDS = [...new Set(Object.values(STAGES).map((entry) => entry.package))] as [string, ...string[]];
export type SlurmTaskKind = string;

/** Slurm's --time forms: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S, or UNLIMITED. */
const TIME_LIMIT = /^(UNLIMITED|INFINITE|\d+(:\d{1,2}){0,2}|\d+-\d{1,2}(:\d{1,2}){0,2})$/;
/** Slurm's --mem forms: a number of megabytes, or with a K/M/G/T suffix. */
const MEMORY = /^\d+[KMGT]?$/;

export const slurmTimeLimitSchema = z
  .string()
  .regex(TIME_LIMIT, 'a Slurm time limit: minutes, "H:MM:SS", "D-HH:MM:SS" (and the other forms sbatch --time takes) or "UNLIMITED"');
export const slurmMemorySchema = z.string().regex(MEMORY, 'a Slurm memory size: megabytes, or a number with K, M, G or T ("4G")');
export const slurmCpusSchema = z.number().int().min(1).max(4096);

export const slurmKindSettingsSchema = z.strictObject({
  cpus: slurmCpusSchema.optional(),
  memory: slurmMemorySchema.optional(),
  timeLimit: slurmTimeLimitSchema.optional(),
});

export const slurmSettingsSchema = z.strictObject({
  partition: z
    .string()
    .regex(/^[A-Za-z0-9_.,-]+$/, 'a partition name (letters, digits, "_", ".", "-"; "," between several)')
    .optional(),
  timeLimit: slurmTimeLimitSchema.optional(),
  cpus: slurmCpusSchema.default(1),
  memory: slurmMemorySchema.optional(),
  kinds: z.partialRecord(z.enum(SLURM_TASK_KINDS), slurmKindSettingsSchema).default({}),
  extraArgs: z.array(z.string().regex(/^-/, 'an sbatch option, starting with "-"')).default([]),
});

export type SlurmSettings = z.infer<typeof slurmSettingsSchema>;
export type SlurmKindSettings = z.infer<typeof slurmKindSettingsSchema>;
