import type { Clock } from "../../../src/cliniko/rate-limit.ts";

/** Lets pending promise chains run (the limiter's pump, awaiting callers) before time moves. */
export const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A clock whose time moves only when the test says so. `sleep` registers a timer; `advance`
 * fires due timers in time order, letting promise chains settle between them.
 */
export class FakeClock implements Clock {
  private t: number;
  private timers: { at: number; resolve: () => void }[] = [];
  constructor(start = 1_700_000_000_000) {
    this.t = start;
  }
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.timers.push({ at: this.t + Math.max(0, ms), resolve }));
  }
  get pendingTimers(): number {
    return this.timers.length;
  }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      await flush();
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = next.at;
      next.resolve();
    }
    this.t = end;
    await flush();
  }
}
