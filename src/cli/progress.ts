/**
 * Progress of a long command on stderr: a bar redrawn in place on a terminal (rows, rows/s, ETA), JSON lines
 * otherwise (`{"progress":{…}}`), at most every `everyMs`. The ETA comes from bytes read out of the total,
 * when the total is known (a file; not a pipe).
 */
export class Progress {
  private readonly started = Date.now();
  private shownAt = 0;
  private drawn = false;

  constructor(
    private readonly totalBytes: number | null,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly everyMs = 500,
  ) {}

  update(rows: number, bytes: number, force = false): void {
    const now = Date.now();
    if (!force && now - this.shownAt < this.everyMs) return;
    this.shownAt = now;
    const seconds = Math.max((now - this.started) / 1000, 1e-3);
    const rate = rows / seconds;
    const fraction = this.totalBytes ? Math.min(1, bytes / this.totalBytes) : null;
    const eta = fraction !== null && fraction > 0 ? Math.round((seconds / fraction) * (1 - fraction)) : null;
    if (this.out.isTTY) {
      const width = 30;
      const bar = fraction === null ? '' : `[${'#'.repeat(Math.round(fraction * width)).padEnd(width, '.')}] ${(fraction * 100).toFixed(0).padStart(3)}% `;
      const line = `${bar}${rows.toLocaleString('en')} rows, ${Math.round(rate).toLocaleString('en')} rows/s${eta !== null ? `, ETA ${eta} s` : ''}`;
      this.out.write(`\r${line}\x1b[K`);
      this.drawn = true;
    } else {
      this.out.write(`${JSON.stringify({
        progress: { rows, bytes, total_bytes: this.totalBytes, rows_per_s: Math.round(rate), eta_s: eta, elapsed_s: Math.round(seconds * 10) / 10 },
      })}\n`);
    }
  }

  /** Ends the bar's line (on a terminal) so that what follows starts on its own. */
  done(rows: number, bytes: number): void {
    this.update(rows, bytes, true);
    if (this.drawn) this.out.write('\n');
  }
}
