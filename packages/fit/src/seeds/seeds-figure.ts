import type { TopLevelSpec } from 'vega-lite';
import type { PooledScaling, PooledSlope, SeedFits } from './pooled-slopes.ts';

/**
 * The cross-seed figure: finding 3's points of every seed overlaid (α_bon, β_bon and β_RL against RM parameters,
 * coloured by pipeline seed; the RL runs of every policy), and the pooled slope drawn through each seed's mean point.
 * Null when no coefficient has points.
 */
export function seedsCoefficientSpec(seeds: readonly SeedFits[], scaling: PooledScaling): TopLevelSpec | null {
  const rows: { coefficient: string; seed: string; parameters: number; value: number; kind: string }[] = [];
  for (const run of seeds) {
    for (const row of run.fits) {
      const seed = `seed ${run.seed}`;
      if (row.method === 'bon' && row.comparisons === scaling.bonComparisons) {
        rows.push({ coefficient: 'α_bon', seed, parameters: row.rm_parameters, value: row.alpha, kind: 'fit' });
        rows.push({ coefficient: 'β_bon', seed, parameters: row.rm_parameters, value: row.beta, kind: 'fit' });
      } else if (row.method === 'rl' && row.kl_coefficient === 0 && row.comparisons === scaling.rlComparisons) {
        rows.push({ coefficient: 'β_RL', seed, parameters: row.rm_parameters, value: run.sharedBeta.get(row.curve) ?? row.beta, kind: 'fit' });
      }
    }
  }
  if (rows.length === 0) return null;
  const slopeOf = new Map<string, number>(scaling.slopes.map((s) => [s.name, s.estimate?.slope ?? Number.NaN]));
  const pooledName: Record<string, PooledSlope['name']> = { α_bon: 'alpha_bon', β_bon: 'beta_bon', β_RL: 'beta_rl' };
  // The pooled line through each seed's mean point (its own intercept, the shared slope).
  for (const coefficient of ['α_bon', 'β_bon', 'β_RL']) {
    const slope = slopeOf.get(pooledName[coefficient]!) ?? Number.NaN;
    if (!Number.isFinite(slope)) continue;
    for (const seed of new Set(rows.filter((r) => r.coefficient === coefficient).map((r) => r.seed))) {
      const own = rows.filter((r) => r.coefficient === coefficient && r.seed === seed && r.kind === 'fit');
      const xs = own.map((r) => Math.log10(r.parameters));
      const meanX = xs.reduce((a, b) => a + b, 0) / xs.length;
      const meanY = own.reduce((a, r) => a + r.value, 0) / own.length;
      for (const x of [Math.min(...xs), Math.max(...xs)])
        rows.push({ coefficient, seed, parameters: 10 ** x, value: meanY + slope * (x - meanX), kind: 'pooled' });
    }
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'Coefficients vs RM parameters, every seed', subtitle: 'points: fits; lines: the slope pooled over seeds, through each seed’s mean' },
    data: { values: rows },
    facet: { column: { field: 'coefficient', type: 'nominal', sort: ['α_bon', 'β_bon', 'β_RL'], title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 220,
      height: 180,
      layer: [
        {
          transform: [{ filter: "datum.kind === 'fit'" }],
          mark: { type: 'point', filled: true, opacity: 0.75 },
          encoding: {
            x: { field: 'parameters', type: 'quantitative', scale: { type: 'log' }, title: 'RM parameters' },
            y: { field: 'value', type: 'quantitative', title: 'coefficient' },
            color: { field: 'seed', type: 'nominal', title: 'pipeline seed' },
          },
        },
        {
          transform: [{ filter: "datum.kind === 'pooled'" }],
          mark: { type: 'line' },
          encoding: {
            x: { field: 'parameters', type: 'quantitative', scale: { type: 'log' } },
            y: { field: 'value', type: 'quantitative' },
            color: { field: 'seed', type: 'nominal' },
          },
        },
      ],
    },
  };
}
