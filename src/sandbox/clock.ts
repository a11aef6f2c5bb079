/**
 * The sandbox's clock: every `created_at`/`updated_at`/`cancelled_at` it writes comes from here, so
 * tests can freeze, set and advance time instead of sleeping. Rate limiting deliberately uses the
 * wall clock instead (a frozen clock must not freeze the rolling window).
 */
export interface ClockState {
  frozen: boolean;
  now: string;
}

export class SandboxClock {
  #frozenAt: number | undefined;
  #offsetMs = 0;

  constructor(options: { now?: string | Date; frozen?: boolean } = {}) {
    if (options.frozen) this.freeze(options.now);
    else if (options.now !== undefined) this.set(options.now);
  }

  nowMs(): number {
    return this.#frozenAt ?? Date.now() + this.#offsetMs;
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  /** Cliniko's timestamp format: UTC, second precision (`2026-11-27T10:00:00Z`). */
  iso(): string {
    return isoSeconds(this.nowMs());
  }

  /** Stops the clock, at `at` exactly when given (not at `at` plus the time spent getting here). */
  freeze(at?: string | Date): void {
    this.#frozenAt = at === undefined ? this.nowMs() : toMs(at);
  }

  unfreeze(): void {
    if (this.#frozenAt === undefined) return;
    this.#offsetMs = this.#frozenAt - Date.now();
    this.#frozenAt = undefined;
  }

  /** Jumps to a moment; a frozen clock stays frozen there, a running one keeps running from there. */
  set(at: string | Date): void {
    const ms = toMs(at);
    if (this.#frozenAt !== undefined) this.#frozenAt = ms;
    else this.#offsetMs = ms - Date.now();
  }

  advance(ms: number): void {
    if (this.#frozenAt !== undefined) this.#frozenAt += ms;
    else this.#offsetMs += ms;
  }

  state(): ClockState {
    return { frozen: this.#frozenAt !== undefined, now: this.iso() };
  }
}

function toMs(at: string | Date): number {
  const ms = typeof at === "string" ? Date.parse(at) : at.getTime();
  if (Number.isNaN(ms)) throw new RangeError(`Not a date-time: ${String(at)}`);
  return ms;
}

export function isoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(".000Z", "Z");
}

/** Normalises any ISO 8601 date-time (with offset) to the stored UTC second-precision form. */
export function normaliseDateTime(value: string): string {
  return isoSeconds(Date.parse(value));
}
