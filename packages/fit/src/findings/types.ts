import type { Finding } from '../types.ts';

/** What each check returns; computeFindings adds the id, the title and the per-seed verdicts. */
export type Check = Omit<Finding, 'id' | 'title' | 'seeds'>;

export type FindingNumbers = Finding['numbers'];
