import type { FitInput } from '../../types.ts';
import { PANEL, type FigurePlan } from './figure.ts';
import { orderedDomain, sizeLabel } from './labels.ts';

/** Figure: RM validation loss against comparisons per RM size, with chance (ln 2) marked. */
export function validationLossFigure(input: FitInput): FigurePlan {
  const id = 'validation-loss';
  const title = 'RM validation loss vs comparisons';
  const proxies = input.proxies.filter((p) => Number.isFinite(p.validationLoss) && p.comparisons > 0);
  if (proxies.length === 0) return { kind: 'note', id, title, note: 'No proxy RM metrics in this preset.' };
  const rows = proxies.map((p) => ({ size: sizeLabel(p), comparisons: p.comparisons, loss: p.validationLoss, cell: p.cell }));
  const x = {
    field: 'comparisons',
    type: 'quantitative' as const,
    title: 'RM training comparisons',
    scale: { type: 'log' as const },
    axis: { format: '~s', tickCount: 5 },
  };
  const color = { field: 'size', type: 'nominal' as const, title: 'RM size', scale: { domain: orderedDomain(proxies, sizeLabel, (p) => p.parameters) } };
  const y = { field: 'loss', type: 'quantitative' as const, title: 'validation loss (nats)', scale: { zero: false } };
  return {
    kind: 'chart',
    id,
    title,
    caption:
      'Held-out pairwise loss −log σ(r_preferred − r_other) of each proxy RM against its number of training comparisons (log scale); lines join the mean over seeds. ' +
      'The dashed line is chance, ln 2 ≈ 0.693 nats: below a threshold number of comparisons an RM learns almost nothing. Finding 4.',
    spec: {
      title: { text: title, subtitle: 'per RM size; dashed: chance (ln 2)' },
      data: { values: rows },
      width: PANEL.width + 60,
      height: PANEL.height,
      layer: [
        { mark: { type: 'rule', strokeDash: [6, 4], color: '#888' }, encoding: { y: { datum: Math.LN2 } } },
        {
          mark: { type: 'text', align: 'right', baseline: 'top', dx: -4, dy: 4, color: '#666', fontSize: 10 },
          encoding: { y: { datum: Math.LN2 }, x: { value: PANEL.width + 60 }, text: { value: 'chance: ln 2 = 0.693' } },
        },
        { mark: { type: 'line', strokeWidth: 1.8 }, encoding: { x, color, y: { ...y, aggregate: 'mean' } } },
        { mark: { type: 'point', filled: true, size: 40 }, encoding: { x, color, y } },
      ],
    },
  };
}
