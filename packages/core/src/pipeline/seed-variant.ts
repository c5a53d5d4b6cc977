/**
 * A preset run at another pipeline seed (`npm run pipeline -- --preset quick --seeds 1,2,3`): the seed variant
 * `<preset>@s<seed>` is the preset's file with its top-level `seed` replaced, and nothing else. It is a name, not a
 * file: every stage CLI takes it as `--preset quick@s2`, loadPipeline reads pipelines/quick.json and sets the seed,
 * and its artifacts go to artifacts/quick@s2/. The variant at the preset's own seed is the preset itself (quick's
 * seed is 1, so seed 1 of quick is `quick`, with today's tasks, cache and artifacts).
 *
 * "@" cannot occur in a preset name, so a variant never collides with a preset. Dependency-free: the Nx plugin
 * loads it.
 */

/** Separates a preset from its seed in a variant's name (`quick@s2`). */
export const SEED_VARIANT_MARK = '@s';

/** Highest pipeline seed (the schema's bound on `seed`). */
export const MAX_PIPELINE_SEED = 2 ** 31 - 1;

/** The environment variable through which `npm run pipeline --seeds` tells the Nx plugin which variants to plan. */
export const SEEDS_ENV = 'GOODHART_SEEDS';

export interface SeedVariant {
  preset: string;
  seed: number;
}

/** `quick@s2`. */
export function seedVariantName(preset: string, seed: number): string {
  return `${preset}${SEED_VARIANT_MARK}${seed}`;
}

/** The preset and seed a variant name spells, or undefined for a plain preset name (or anything else). */
export function parseSeedVariant(name: string): SeedVariant | undefined {
  const match = /^([a-z0-9]+(?:-[a-z0-9]+)*)@s(0|[1-9][0-9]*)$/.exec(name);
  if (!match) return undefined;
  const seed = Number(match[2]);
  return seed <= MAX_PIPELINE_SEED ? { preset: match[1]!, seed } : undefined;
}

/** The name the preset runs under at `seed`: the preset itself at its own seed, else its seed variant. */
export function presetAtSeed(preset: string, ownSeed: unknown, seed: number): string {
  return ownSeed === seed ? preset : seedVariantName(preset, seed);
}

/**
 * A list of pipeline seeds as the `--seeds` flag (or GOODHART_SEEDS) gives it: comma-separated positive integers, no
 * repeats. Throws naming `flag`, the value and what is allowed.
 */
export function parseSeedList(text: string, flag: string): number[] {
  const parts = text.split(',').map((part) => part.trim());
  const seeds: number[] = [];
  for (const part of parts) {
    if (!/^[1-9][0-9]*$/.test(part) || Number(part) > MAX_PIPELINE_SEED) {
      throw new Error(
        `${flag}: got ${JSON.stringify(text.slice(0, 200))}; expected comma-separated positive integers up to ${MAX_PIPELINE_SEED} (e.g. 1,2,3), ${JSON.stringify(part.slice(0, 40))} is not one`,
      );
    }
    const seed = Number(part);
    if (seeds.includes(seed)) throw new Error(`${flag}: seed ${seed} is given twice in ${JSON.stringify(text.slice(0, 200))}; list each seed once`);
    seeds.push(seed);
  }
  return seeds;
}

/**
 * The seeds the Nx plugin plans variants of `preset` for: GOODHART_SEEDS is a comma-separated list of variant names
 * (`quick@s2,quick@s3`), so a run of one preset adds no projects to the others. Entries that do not parse are
 * ignored here: `npm run pipeline` validates its --seeds before it sets the variable.
 */
export function requestedSeeds(env: string | undefined, preset: string): number[] {
  const seeds = new Set<number>();
  for (const entry of (env ?? '').split(',')) {
    const variant = parseSeedVariant(entry.trim());
    if (variant?.preset === preset) seeds.add(variant.seed);
  }
  return [...seeds].sort((a, b) => a - b);
}
