/**
 * Periodic progress lines with rate and ETA, on stderr so stdout stays parseable. Lines rather than a redrawn bar:
 * Nx and CI capture output, where carriage-return bars turn into noise.
 */
export interface ProgressOptions {
  label: string;
  total: number;
  /** What one unit is, for the rate ("steps", "tokens"). */
  unit: string;
  /** Seconds between lines (the first and last update always print). */
  everySeconds?: number;
  write?: (line: string) => void;
}

export class Progress {
  private readonly started = performance.now();
  private lastPrinted = -Infinity;
  private readonly everyMs: number;
  private readonly write: (line: string) => void;

  constructor(private readonly options: ProgressOptions) {
    this.everyMs = (options.everySeconds ?? 5) * 1000;
    this.write = options.write ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** `done` units finished so far; `detail` is appended (e.g. the current loss). */
  update(done: number, detail = ''): void {
    const now = performance.now();
    const finished = done >= this.options.total;
    if (!finished && done > 0 && now - this.lastPrinted < this.everyMs) return;
    this.lastPrinted = now;
    const elapsed = (now - this.started) / 1000;
    const rate = elapsed > 0 ? done / elapsed : 0;
    const remaining = rate > 0 ? (this.options.total - done) / rate : NaN;
    const percent = ((100 * done) / this.options.total).toFixed(0).padStart(3);
    const parts = [
      `[${this.options.label}] ${percent}% ${done}/${this.options.total} ${this.options.unit}`,
      `${formatRate(rate)} ${this.options.unit}/s`,
      finished ? `done in ${formatDuration(elapsed)}` : `ETA ${formatDuration(remaining)}`,
    ];
    if (detail) parts.push(detail);
    this.write(parts.join(' | '));
  }
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 9.95) return `${seconds.toFixed(1)}s`;
  // Round once, to whole seconds, so 119.6 s reads 2m00s rather than 1m60s.
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole}s`;
  const minutes = Math.floor(whole / 60);
  if (minutes < 60) return `${minutes}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

function formatRate(rate: number): string {
  return rate >= 100 ? Math.round(rate).toLocaleString('en-US') : rate.toFixed(2);
}
