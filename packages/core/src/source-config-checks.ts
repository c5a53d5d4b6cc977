import { z } from 'zod';
import { cellName, parseCellName, seedsAt, NAME_PATTERN, CELL_NAME_FORM } from './pipeline/naming.ts';
import { ENSEMBLE_OBJECTIVES, memberCells, SOURCE_KIND_NAMES, type RewardSource } from './pipeline/sources.ts';
import type { GridAxes } from './pipeline/naming.ts';

/** The members of a source (sources.<name>.members): one size and comparisons count of proxy.grid, several seeds. */
const sourceMembersSchema = z.strictObject({
  size: z.string().min(1),
  comparisons: z.number().int().min(1),
  /** At least two: one member is a single proxy. */
  seeds: z.array(z.number().int().min(0)).min(2).max(64),
});

const ensembleSourceSchema = z.strictObject({
  kind: z.literal('ensemble'),
  members: sourceMembersSchema,
  objective: z.enum(ENSEMBLE_OBJECTIVES),
  /** UWO's weight on the members' variance: required with objective "uncertainty", not allowed otherwise. */
  lambda: z.number().gt(0).max(100).optional(),
});

const weightAverageSourceSchema = z.strictObject({
  kind: z.literal('weightAverage'),
  members: sourceMembersSchema,
});

/**
 * `sources`: reward sources by name, each an ensemble of proxy cells or their weight average (pipeline/sources.ts).
 * bon.proxies and ppo.proxies name cells or these. Absent: every best-of-n and PPO run optimises one proxy cell.
 */
export const sourcesSchema = z.record(
  z.string().regex(NAME_PATTERN, 'lower-case letters, digits and dashes'),
  z.discriminatedUnion('kind', [ensembleSourceSchema, weightAverageSourceSchema], {
    error: (issue) => (issue.code === 'invalid_union' ? `"kind" must be one of ${SOURCE_KIND_NAMES.map((k) => `"${k}"`).join(', ')}` : undefined),
  }),
);

type Issue = (path: (string | number)[], input: unknown, message: string) => void;

/**
 * The cross-field rules of `sources`: a name that is not a cell's, members that are cells of proxy.grid (one size,
 * so a weight average's members share the pretrained LM they started from), seeds listed once, λ exactly with UWO.
 */
export function checkSources(sources: Readonly<Record<string, RewardSource>>, grid: GridAxes, issue: Issue): void {
  for (const [name, source] of Object.entries(sources)) {
    const at = (...path: (string | number)[]): (string | number)[] => ['sources', name, ...path];
    if (parseCellName(name)) issue(at(), source, `the name has the form of a cell name (${CELL_NAME_FORM}); give the source another name`);
    const { members } = source;
    if (!grid.sizes.includes(members.size)) {
      issue(at('members', 'size'), members.size, `not a size of proxy.grid.sizes (${grid.sizes.join(', ')})`);
      continue;
    }
    if (!grid.comparisons.includes(members.comparisons)) {
      issue(at('members', 'comparisons'), members.comparisons, `not a count of proxy.grid.comparisons (${grid.comparisons.join(', ')})`);
    }
    const trained = seedsAt(grid, members.size);
    members.seeds.forEach((seed, i) => {
      if (!trained.includes(seed))
        issue(at('members', 'seeds', i), seed, `size "${members.size}" has no proxy of seed ${seed} in proxy.grid (seeds ${trained.join(', ')})`);
      else if (members.seeds.indexOf(seed) !== i) issue(at('members', 'seeds', i), seed, `seed ${seed} is listed twice`);
    });
    if (source.kind === 'ensemble') {
      if (source.objective === 'uncertainty' && source.lambda === undefined) {
        issue(at('objective'), source.objective, 'needs "lambda", a number > 0: the objective is mean − lambda·variance across members');
      }
      if (source.objective !== 'uncertainty' && source.lambda !== undefined) {
        issue(at('lambda'), source.lambda, `only objective "uncertainty" reads lambda; objective is "${source.objective}"`);
      }
    }
  }
}

/** The names bon.proxies and ppo.proxies may use: every cell of the grid and every declared source. */
export function proxyNames(cells: readonly string[], sources: Readonly<Record<string, RewardSource>> | undefined): string[] {
  return [...cells, ...Object.keys(sources ?? {})];
}

/** The member cells' names of a source, for messages and the stages. */
export function memberNames(source: RewardSource): string[] {
  return memberCells(source.members).map(cellName);
}
