import { describe, expect, it } from 'vitest';
import { formatDuration, Progress } from '../src/progress.ts';

describe('progress lines', () => {
  it('formats durations without a 60th second or minute', () => {
    expect(formatDuration(3.21)).toBe('3.2s');
    expect(formatDuration(59.6)).toBe('1m00s');
    expect(formatDuration(179.6)).toBe('3m00s');
    expect(formatDuration(3599.7)).toBe('1h00m');
    expect(formatDuration(Number.NaN)).toBe('?');
  });

  it('prints the first and the last update with rate and ETA or total time', () => {
    const lines: string[] = [];
    const progress = new Progress({ label: 'x', total: 4, unit: 'steps', everySeconds: 3600, write: (line) => lines.push(line) });
    progress.update(1, 'loss 1');
    progress.update(2);
    progress.update(4);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[x\] {2}25% 1\/4 steps \| .* steps\/s \| ETA .* \| loss 1$/);
    expect(lines[1]).toMatch(/^\[x\] 100% 4\/4 steps \| .* steps\/s \| done in /);
  });
});
