/** The eight findings of paper-notes §5, then direct alignment's (Rafailov et al. 2024), in order; ids are 1-based positions. */
export const FINDING_TITLES: readonly string[] = [
  'Gold rises then falls as optimisation against the proxy grows, for both BoN and RL; proxy keeps rising',
  'BoN gold vs d fits d(α − βd); RL gold vs d fits d(α − β ln d)',
  'Larger proxy RMs: higher α_bon, lower β_bon and β_RL, later and higher peaks — smooth in log(params)',
  'More comparisons: better gold and less overoptimisation; below a threshold RM validation loss stays near chance (ln 2)',
  'Policy size: a larger policy starts higher and gains less, but peaks at about the same KL',
  'A KL penalty acts like early stopping: it does not move the gold-vs-KL frontier; it raises proxy at a given KL',
  'RL spends far more KL than BoN for the same gold gain: KL is no common currency across methods',
  'Regressional Goodhart: with proxy = gold + Gaussian noise, BoN gold follows ρσ·E[max of n normals] with no peak',
  'Direct alignment (DPO, IPO) on the same comparisons overoptimises too: gold rises then falls along training, and gold vs KL fits d(α − β ln d)',
];
