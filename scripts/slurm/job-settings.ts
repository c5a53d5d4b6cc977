import { ConfigError, SLURM_TASK_KINDS, slurmSettingsSchema, type SlurmSettings } from '@goodhart/core';

/**
 * Job settings: the pipeline file's `slurm` section (validated with the pipeline), overridden by flags.
 *
 *   --partition P            --time 2:00:00          --sbatch-arg=--qos=normal (repeatable)
 *   --cpus 2 | --cpus ppo=4,proxy=2                  --mem 4G | --mem ppo=8G
 */
export interface SlurmFlags {
  partition?: string;
  time?: string;
  cpus?: string;
  mem?: string;
  sbatchArgs?: string[];
}

const SOURCE = 'Slurm job settings (pipeline "slurm" section and flags)';

/** `4` → default for every kind; `ppo=4,proxy=2` → per kind. */
function parseKindList(
  flag: string,
  value: string,
  parseOne: (text: string) => number | string,
): { all?: number | string; kinds: Record<string, number | string> } {
  const kinds: Record<string, number | string> = {};
  if (!value.includes('=')) return { all: parseOne(value), kinds };
  for (const part of value.split(',')) {
    const [kind, text, extra] = part.split('=');
    if (!kind || text === undefined || extra !== undefined) throw new ConfigError(SOURCE, [`--${flag}: "${part}" must be <kind>=<value>`]);
    if (!(SLURM_TASK_KINDS as readonly string[]).includes(kind))
      throw new ConfigError(SOURCE, [`--${flag}: unknown task kind "${kind}"; allowed: ${SLURM_TASK_KINDS.join(', ')}`]);
    kinds[kind] = parseOne(text);
  }
  return { kinds };
}

/** Merges flags over the pipeline's section and validates the result with the same schema and messages. */
export function resolveSlurmSettings(fromPipeline: SlurmSettings | undefined, flags: SlurmFlags): SlurmSettings {
  const raw: Record<string, unknown> = structuredClone(fromPipeline ?? {});
  const kinds = { ...((raw.kinds as Record<string, Record<string, unknown>> | undefined) ?? {}) };
  if (flags.partition !== undefined) raw.partition = flags.partition;
  if (flags.time !== undefined) raw.timeLimit = flags.time;
  if (flags.cpus !== undefined) {
    const parsed = parseKindList('cpus', flags.cpus, (text) => (/^\d+$/.test(text) ? Number(text) : text));
    if (parsed.all !== undefined) raw.cpus = parsed.all;
    for (const [kind, cpus] of Object.entries(parsed.kinds)) kinds[kind] = { ...kinds[kind], cpus };
  }
  if (flags.mem !== undefined) {
    const parsed = parseKindList('mem', flags.mem, (text) => text);
    if (parsed.all !== undefined) raw.memory = parsed.all;
    for (const [kind, memory] of Object.entries(parsed.kinds)) kinds[kind] = { ...kinds[kind], memory };
  }
  raw.kinds = kinds;
  if (flags.sbatchArgs?.length) raw.extraArgs = [...((raw.extraArgs as string[] | undefined) ?? []), ...flags.sbatchArgs];
  const result = slurmSettingsSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(
    SOURCE,
    result.error.issues.map((issue) => {
      const field = issue.path.map(String).join('.') || '(top level)';
      const got = issue.path.reduce<unknown>((node, key) => (node as Record<PropertyKey, unknown> | undefined)?.[key], raw);
      return `field "slurm.${field}": got ${JSON.stringify(got)}; ${issue.message}`;
    }),
  );
}

/** The sbatch options for one task of `kind`. */
export function sbatchResourceArgs(settings: SlurmSettings, kind: string): string[] {
  const own = (SLURM_TASK_KINDS as readonly string[]).includes(kind) ? settings.kinds[kind as (typeof SLURM_TASK_KINDS)[number]] : undefined;
  const args = [`--cpus-per-task=${own?.cpus ?? settings.cpus}`];
  const memory = own?.memory ?? settings.memory;
  if (memory) args.push(`--mem=${memory}`);
  const time = own?.timeLimit ?? settings.timeLimit;
  if (time) args.push(`--time=${time}`);
  if (settings.partition) args.push(`--partition=${settings.partition}`);
  return [...args, ...settings.extraArgs];
}
