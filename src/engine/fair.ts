/**
 * Fair claims: which queued runs a worker with free slots takes next, so that one workflow's
 * flood never delays another workflow's runs. Both queues (in-process and BullMQ) pick with it.
 *
 * - **Per-workflow concurrency**: a worker holds at most `perWorkflow` runs of one workflow at
 *   once (default: all its slots but one; `serve` and `worker` add that slot to their workers),
 *   so a slot is always left for the other workflows.
 * - **Round-robin**: free slots go one at a time to the workflow with the fewest runs in flight
 *   (across every worker in a cluster: the database's `running` rows), then to the one served
 *   longest ago; within a workflow, oldest run first.
 *
 * Reading the candidates costs one index probe per workflow with queued runs plus one indexed
 * read per workflow given a slot, however long a backlog one workflow queued.
 */
import type { RunRecord, Store } from "../store/index.ts";

/** The default per-workflow concurrency of a worker with `slots` slots: all but one. */
export function defaultPerWorkflow(slots: number): number {
  return Math.max(1, slots - 1);
}

/** What a worker knows about its own runs, kept between picks. */
export class FairShare {
  readonly perWorkflow: number;
  /** This worker's runs in flight, per workflow. */
  readonly inFlight = new Map<number, number>();
  /** When each workflow was last given a slot (a counter, not a clock). */
  readonly #served = new Map<number, number>();
  #turn = 0;

  constructor(perWorkflow: number) {
    this.perWorkflow = Math.max(1, Math.floor(perWorkflow));
  }

  started(workflowId: number): void {
    this.inFlight.set(workflowId, (this.inFlight.get(workflowId) ?? 0) + 1);
    this.#served.set(workflowId, ++this.#turn);
    if (this.#served.size > 10_000) this.#served.clear();
  }

  ended(workflowId: number): void {
    const n = (this.inFlight.get(workflowId) ?? 1) - 1;
    if (n > 0) this.inFlight.set(workflowId, n);
    else this.inFlight.delete(workflowId);
  }

  #room(workflowId: number): number {
    return this.perWorkflow - (this.inFlight.get(workflowId) ?? 0);
  }

  /** Whether this worker may take one more run of the workflow. */
  hasRoom(workflowId: number): boolean {
    return this.#room(workflowId) > 0;
  }

  /** How many workflows had queued runs (due or not) at the last pick. */
  queuedWorkflows = 0;

  /**
   * Up to `free` due queued runs to claim, in the order slots were given (round-robin across
   * workflows). `clusterWide` orders by the database's running counts (every worker's runs), not
   * only this worker's.
   */
  async pick(
    store: Store,
    free: number,
    options: { workflowIds?: number[]; clusterWide?: boolean } = {},
  ): Promise<RunRecord[]> {
    if (free <= 0) return [];
    const queued = await store.runs.queuedWorkflows(options.workflowIds);
    this.queuedWorkflows = queued.length;
    const open = queued.filter((w) => this.#room(w) > 0);
    if (open.length === 0) return [];
    const load = options.clusterWide && open.length > 1 ? await store.runs.runningCounts() : this.inFlight;
    const picked: RunRecord[] = [];
    const given = new Map<number, number>();
    const rank = (w: number) => (load.get(w) ?? 0) + (given.get(w) ?? 0);
    // A workflow whose queued runs are all parked yields nothing: the next ones in line are asked
    // in a second round, so its slots do not sit idle until the next scan.
    let left = open;
    for (let round = 0; round < 2 && left.length > 0 && picked.length < free; round++) {
      const slots: number[] = [];
      while (picked.length + slots.length < free) {
        let best: number | undefined;
        for (const w of left) {
          if ((given.get(w) ?? 0) >= this.#room(w)) continue;
          if (
            best === undefined ||
            rank(w) < rank(best) ||
            (rank(w) === rank(best) && (this.#served.get(w) ?? 0) < (this.#served.get(best) ?? 0))
          )
            best = w;
        }
        if (best === undefined) break;
        given.set(best, (given.get(best) ?? 0) + 1);
        slots.push(best);
      }
      if (slots.length === 0) break;
      const wanted = [...new Set(slots)];
      const found = await Promise.all(wanted.map((w) => store.runs.queuedOf(w, slots.filter((s) => s === w).length)));
      const queues = new Map(wanted.map((w, i) => [w, found[i]!]));
      // In the order the slots were given: round-robin across workflows.
      for (const w of slots) {
        const run = queues.get(w)!.shift();
        if (run) picked.push(run);
      }
      left = left.filter((w) => !queues.has(w));
    }
    return picked;
  }
}
