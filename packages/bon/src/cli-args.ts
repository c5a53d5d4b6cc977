import { parseArgs } from 'node:util';

/** The best-of-n stage's three tasks, one flag each. */
export type BonMode = 'pool' | 'score' | 'curves';

export interface BonArgs {
  mode: BonMode;
  preset: string;
  /** The proxy cell of `--score <cell>`. */
  cell?: string;
  engine?: string;
  backend?: string;
  precision?: string;
}

/**
 * `--preset P` and exactly one of `--pool`, `--score <cell>`, `--curves` (with `expected`, that one), plus the engine
 * flags. Shared by cli.ts and the three entry points Nx runs (pool-cli.ts, score-cli.ts, curves-cli.ts).
 */
export function parseBonArgs(expected?: BonMode, args: string[] = process.argv.slice(2)): BonArgs {
  const { values } = parseArgs({
    args,
    options: {
      preset: { type: 'string', default: 'quick' },
      pool: { type: 'boolean', default: false },
      score: { type: 'string' },
      curves: { type: 'boolean', default: false },
      engine: { type: 'string' },
      backend: { type: 'string' },
      precision: { type: 'string' },
    },
  });
  const modes: BonMode[] = [];
  if (values.pool) modes.push('pool');
  if (values.score !== undefined) modes.push('score');
  if (values.curves) modes.push('curves');
  if (modes.length !== 1) throw new Error('give exactly one of --pool, --score <cell>, --curves');
  const [mode] = modes;
  if (expected !== undefined && mode !== expected) throw new Error(`this entry point runs --${expected}, not --${mode}`);
  return { mode, preset: values.preset, cell: values.score, engine: values.engine, backend: values.backend, precision: values.precision };
}
