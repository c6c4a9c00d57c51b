/** Where a Clock reads the organizations' offsets: the database (see EmulatorRepository). */
export interface ClockOffsets {
  clockOffset(organizationId: string): Promise<number>;
  clockOffsets(): Promise<Map<string, number>>;
}

/**
 * The one clock every rule reads: link expiry, restriction lapse, webhook retry times, the timestamps
 * written. An organization's time is the real time plus that organization's offset, which the emulator's
 * test clock moves forward (UPROF_EMULATOR=1, decisions §38); without the emulator every offset is 0 and
 * the clock never touches the database.
 *
 * Offsets live in the database, so every process sharing it agrees. `now` must answer synchronously on hot
 * paths, so a process reads an organization's offset into memory before it uses it: the request admissions
 * call `sync`, the delivery worker `syncAll` each round.
 */
export class Clock {
  private readonly offsets = new Map<string, number>();

  /** `real`: the real time (tests pass a clock of their own); `source`: the offsets, only under the emulator */
  constructor(private readonly real: () => number = Date.now, private readonly source: ClockOffsets | null = null) {}

  /** The real time, for what others check against their own clocks: webhook signature timestamps, cookies. */
  wall(): number {
    return this.real();
  }

  /** The time the rules of one organization run on. */
  now(organizationId: string): number {
    const offset = this.offsets.get(organizationId);
    return offset === undefined ? this.real() : this.real() + offset;
  }

  /** How far ahead of the real time one organization's clock runs, in ms (as last read). */
  offset(organizationId: string): number {
    return this.offsets.get(organizationId) ?? 0;
  }

  /** Whether organizations can have clocks of their own (the emulator is on). */
  get emulated(): boolean {
    return this.source !== null;
  }

  /** Reads one organization's offset from the database (a no-op without the emulator). */
  async sync(organizationId: string): Promise<void> {
    if (this.source) this.remember(organizationId, await this.source.clockOffset(organizationId));
  }

  /** Sets what a request already read (the emulator's admission reads the offset with the faults). */
  remember(organizationId: string, offset: number): void {
    if (offset === 0) this.offsets.delete(organizationId);
    else this.offsets.set(organizationId, offset);
  }

  /** Reads every organization's offset; answers the organizations whose clocks run ahead. */
  async syncAll(): Promise<string[]> {
    if (!this.source) return [];
    const offsets = await this.source.clockOffsets();
    for (const organizationId of this.offsets.keys()) if (!offsets.has(organizationId)) this.offsets.delete(organizationId);
    for (const [organizationId, offset] of offsets) this.remember(organizationId, offset);
    return [...this.offsets.keys()];
  }
}
