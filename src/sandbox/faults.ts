/**
 * Fault injection: rules that make matching `/v1` requests slow, fail with a 5xx, answer 429, or
 * lose their connection. A rule fires on its next `count` matches, or on a `share` of matches
 * (0–1), or (neither given) on every match until removed. Latency rules add up; of the others the
 * first that fires wins.
 */
export type FaultKind = "latency" | "error" | "rate-limit" | "drop";

export interface FaultRule {
  kind: FaultKind;
  /** Fire on the next N matching requests, then disappear. */
  count?: number;
  /** Fire on this share (0–1) of matching requests. */
  share?: number;
  /** Only requests with this method / whose path (below /v1) starts with this. */
  method?: string;
  path?: string;
  /** latency: delay in ms (plus up to `jitterMs`). */
  ms?: number;
  jitterMs?: number;
  /** error: status (default 500). */
  status?: number;
  /** rate-limit: seconds until `X-RateLimit-Reset` (default 1). */
  resetInSeconds?: number;
}

export type ActiveFault = FaultRule & { id: number };

export interface FaultOutcome {
  delayMs: number;
  fire?: ActiveFault;
}

const KINDS: FaultKind[] = ["latency", "error", "rate-limit", "drop"];

export class FaultInjector {
  #rules: ActiveFault[] = [];
  #nextId = 1;
  random: () => number = Math.random;

  add(rule: FaultRule): ActiveFault {
    if (!KINDS.includes(rule.kind))
      throw new RangeError(`Unknown fault kind "${String(rule.kind)}" (use ${KINDS.join(", ")})`);
    if (rule.share !== undefined && !(rule.share >= 0 && rule.share <= 1))
      throw new RangeError("share must be between 0 and 1");
    if (rule.count !== undefined && !(Number.isInteger(rule.count) && rule.count > 0))
      throw new RangeError("count must be a positive integer");
    if (rule.kind === "error" && rule.status !== undefined && !(rule.status >= 500 && rule.status <= 599))
      throw new RangeError("status must be a 5xx code");
    const active = { ...rule, id: this.#nextId++ };
    this.#rules.push(active);
    return active;
  }

  list(): ActiveFault[] {
    return this.#rules.map((r) => ({ ...r }));
  }

  remove(id: number): boolean {
    const before = this.#rules.length;
    this.#rules = this.#rules.filter((r) => r.id !== id);
    return this.#rules.length !== before;
  }

  clear(): void {
    this.#rules = [];
  }

  #fires(rule: ActiveFault): boolean {
    if (rule.count !== undefined) {
      rule.count -= 1;
      if (rule.count <= 0) this.remove(rule.id);
      return true;
    }
    if (rule.share !== undefined) return this.random() < rule.share;
    return true;
  }

  /** Decides what happens to one request. */
  decide(method: string, path: string): FaultOutcome {
    let delayMs = 0;
    let fire: ActiveFault | undefined;
    for (const rule of [...this.#rules]) {
      if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) continue;
      if (rule.path && !path.startsWith(rule.path)) continue;
      if (rule.kind === "latency") {
        if (this.#fires(rule)) delayMs += (rule.ms ?? 0) + Math.floor(this.random() * (rule.jitterMs ?? 0));
      } else if (!fire && this.#fires(rule)) {
        fire = { ...rule };
      }
    }
    return { delayMs, fire };
  }
}
