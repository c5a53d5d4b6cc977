/**
 * Child-process half of bad-input.test.ts: runs every raw-binding bad-input case (or the one named by argv[2]) in a
 * fresh process and prints one JSON line with the outcomes. A segfault or abort would kill this process with a
 * signal instead of exiting with code 0, which the parent test asserts.
 */
import { loadNativeBinding } from '@goodhart/native';
import { rawCases, rawSetup, runRawCase, stillWorks } from './bad-input-cases.ts';

const loaded = loadNativeBinding();
if ('error' in loaded) {
  process.stdout.write(`${JSON.stringify({ error: loaded.error })}\n`);
  process.exit(2);
}
const { binding } = loaded;
const only = process.argv[2];
const setup = rawSetup(binding);
const outcomes = rawCases.filter((c) => only === undefined || c.title === only).map((c) => runRawCase(binding, setup, c));
process.stdout.write(`${JSON.stringify({ outcomes, stillWorks: stillWorks(binding, setup) })}\n`);
