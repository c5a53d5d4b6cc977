import type { DpoLoss } from '@goodhart/core';

/**
 * The direct-alignment losses of one comparison, as functions of its log-ratio margin
 * h = (log π(y_w) − log π(y_l)) − (log π_ref(y_w) − log π_ref(y_l)), where y_w is the preferred response:
 *
 * - DPO (Rafailov et al. 2023): −log σ(β·h) = softplus(−β·h);
 * - IPO (Azar et al. 2023): (h − 1/(2β))², which pulls h to a finite target instead of pushing it to infinity.
 *
 * Each returns the loss and dL/dh; dL/d log π(y_w) = dL/dh and dL/d log π(y_l) = −dL/dh.
 */
export function pairLoss(loss: DpoLoss, beta: number, margin: number): { loss: number; dMargin: number } {
  if (loss === 'dpo') {
    const z = beta * margin;
    // softplus(−z) and its derivative −β·σ(−z), both stable for large |z|.
    const value = z > 0 ? Math.log1p(Math.exp(-z)) : -z + Math.log1p(Math.exp(z));
    const sigmoidMinusZ = z >= 0 ? Math.exp(-z) / (1 + Math.exp(-z)) : 1 / (1 + Math.exp(z));
    return { loss: value, dMargin: -beta * sigmoidMinusZ };
  }
  const residual = margin - 1 / (2 * beta);
  return { loss: residual * residual, dMargin: 2 * residual };
}

/** The implicit reward of a response: β·(log π(y) − log π_ref(y)); a pair's reward margin is β·h. */
export function implicitReward(beta: number, logPolicy: number, logReference: number): number {
  return beta * (logPolicy - logReference);
}

/**
 * The mean loss over a batch of comparisons and its gradient with respect to each sequence log-probability:
 * `policy.chosen[i]`, `policy.rejected[i]` are log π of comparison i's preferred and other response, `reference` the
 * same under π_ref (constants).
 */
export function batchLoss(
  loss: DpoLoss,
  beta: number,
  policy: { chosen: ArrayLike<number>; rejected: ArrayLike<number> },
  reference: { chosen: ArrayLike<number>; rejected: ArrayLike<number> },
): { loss: number; dChosen: Float64Array; dRejected: Float64Array; accuracy: number; margin: number } {
  const n = policy.chosen.length;
  if (n === 0) throw new RangeError('no comparisons in the batch');
  for (const [name, values] of [
    ['policy.rejected', policy.rejected],
    ['reference.chosen', reference.chosen],
    ['reference.rejected', reference.rejected],
  ] as const) {
    if (values.length !== n) throw new RangeError(`${name} has ${values.length} entries, policy.chosen ${n}`);
  }
  const dChosen = new Float64Array(n);
  const dRejected = new Float64Array(n);
  let total = 0;
  let right = 0;
  let marginTotal = 0;
  for (let i = 0; i < n; i++) {
    const h = policy.chosen[i] - policy.rejected[i] - (reference.chosen[i] - reference.rejected[i]);
    const { loss: value, dMargin } = pairLoss(loss, beta, h);
    total += value;
    dChosen[i] = dMargin / n;
    dRejected[i] = -dMargin / n;
    // A tie (h = 0, as at the first step) counts half: the implicit reward does not order the pair.
    if (h > 0) right += 1;
    else if (h === 0) right += 0.5;
    marginTotal += beta * h;
  }
  return { loss: total / n, dChosen, dRejected, accuracy: right / n, margin: marginTotal / n };
}
