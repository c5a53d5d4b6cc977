import type { Finding } from '../types.ts';

/** What each check returns; computeFindings adds the id and title. */
export type Check = Omit<Finding, 'id' | 'title'>;

export type FindingNumbers = Finding['numbers'];
