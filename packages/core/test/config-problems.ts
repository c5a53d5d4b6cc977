import { expect } from 'vitest';
import { ConfigError, parsePipeline } from '../src/config.ts';

/** The problems parsePipeline reports for `raw` (it must refuse it with a ConfigError). */
export function problemsOf(raw: unknown): string[] {
  try {
    parsePipeline(raw, 'x.json');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}
