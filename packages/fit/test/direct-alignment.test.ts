import { describe, expect, it } from 'vitest';
import { peakOrder, type PeakInKl } from '../src/findings/direct-alignment.ts';

const peaked = (peakKl: number, lastKl: number): PeakInKl => ({ peaked: true, peakKl, lastKl });
const rising = (lastKl: number): PeakInKl => ({ peaked: false, peakKl: lastKl, lastKl });

describe('peakOrder (finding 9: whether DPO peaks earlier or later in KL than PPO)', () => {
  it('orders two curves that both turned down by the KL of their peaks', () => {
    expect(peakOrder(peaked(2, 10), peaked(20, 60))).toBe('earlier');
    expect(peakOrder(peaked(30, 40), peaked(20, 60))).toBe('later');
    expect(peakOrder(peaked(20, 40), peaked(20, 60))).toBe('at the same KL');
  });

  it('does not call a still-rising DPO curve earlier because it stopped at a lower KL than PPO peaked', () => {
    expect(peakOrder(rising(2.4), peaked(62, 70))).toBe('cannot be ordered');
  });

  it('calls a still-rising curve later once it has passed the other curve’s peak', () => {
    expect(peakOrder(rising(80), peaked(62, 70))).toBe('later');
    expect(peakOrder(peaked(5, 9), rising(40))).toBe('earlier');
    expect(peakOrder(peaked(50, 60), rising(40))).toBe('cannot be ordered');
  });

  it('orders nothing when neither curve has peaked or a KL is missing', () => {
    expect(peakOrder(rising(5), rising(40))).toBe('cannot be ordered');
    expect(peakOrder(peaked(Number.NaN, 3), peaked(2, 3))).toBe('cannot be ordered');
  });
});
