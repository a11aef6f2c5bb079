/**
 * The run queue. Runs live in the store (status `queued`); the queue decides who executes them.
 * `RunQueue` is the interface a distributed implementation (BullMQ on Redis) will also satisfy;
 * `InProcessQueue` is the default: it claims runs from the store with a compare-and-set, so a
 * second process (`run --once`, another `serve`) can never execute the same run, and it picks up
 * runs whose owner died (crash recovery) and parked runs that became due. `serve` takes any run;
 * every other entry point narrows what it may claim — `run --once` its workflow's runs, `runs
 * replay` the one run it queued — so a short-lived process never holds a run it will not execute.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { RunRecord, Store } from "../store/index.ts";
import type { Lease, NewRun } from "../store/runs.ts";
import { defaultPerWorkflow, FairShare } from "./fair.ts";

/**
 * Executes a claimed run. `lease` is the claim's lease when the queue has it (the in-process
 * queue does): the runner then starts from it instead of renewing it in a write of its own.
 */
export type RunHandler = (run: RunRecord, owner: string, lease?: Lease) => Promise<unknown>;

export interface RunQueue {
  /** A run was queued (or became due): wake a worker. */
  notify(): void;
  /**
   * Creates a run and starts it at once when this queue can (see InProcessQueue.submit); resolves
   * with its id, or undefined when the caller must queue it (and notify).
   */
  submit?(run: NewRun): Promise<number | undefined>;
  /** Starts executing runs with `handler`. */
  start(handler: RunHandler): void;
  /** Resolves when no run is queued-and-due or in flight (for `run --once` and tests). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

export interface InProcessQueueOptions {
  concurrency?: number;
  /** How often to look for work made by other processes (default 1 s). */
  pollMs?: number;
  leaseMs?: number;
  /** Only these workflows' runs (e.g. `run --once`). */
  workflowIds?: number[];
  /** Only these runs (e.g. `runs replay`, which must leave every other run to `serve`). */
  runIds?: number[];
  /** Runs of one workflow this queue holds at once (default: all its slots but one; see FairShare). */
  perWorkflow?: number;
}

/** `host:pid:nonce` — enough to tell whether a lease's owner is still alive on this machine. */
export function newOwner(): string {
  return `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
}

/** Owners of the queues running in this process (several may: tests, `serve` beside a replay). */
const liveOwners = new Set<string>();

function ownerIsDead(owner: string): boolean {
  const [host, pidText] = owner.split(":");
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid)) return false;
  // Our pid but not one of our queues: an earlier process that had this pid (a restarted container).
  if (pid === process.pid) return !liveOwners.has(owner);
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

export class InProcessQueue implements RunQueue {
  readonly owner = newOwner();
  readonly #store: Store;
  readonly #o: Required<Omit<InProcessQueueOptions, "workflowIds" | "runIds" | "perWorkflow">> &
    Pick<InProcessQueueOptions, "workflowIds" | "runIds">;
  #handler?: RunHandler;
  readonly #fair: FairShare;
  readonly #inFlight = new Set<number>();
  #timer?: NodeJS.Timeout;
  #stopped = false;
  #scanning = false;
  #rescan = false;
  #waiters: (() => void)[] = [];
  #lastScanFoundNothing = false;
  /** The last scan found no queued run of any workflow, and nothing was queued since. */
  #nothingQueued = false;
  /** Slots taken by `submit`s whose run is being inserted. */
  #reserved = 0;
  /**
   * Whether the next scan also looks at running runs (to take over those whose worker died). The
   * timer's scans do, and so does every scan while someone waits for the queue to drain; the
   * scans a new or finished run triggers look at queued runs only: a run's own completion cannot
   * have made another worker's lease run out, and reading every running run (with its payload)
   * for each run queued was the biggest read of a busy engine.
   */
  #recover = true;

  constructor(store: Store, options: InProcessQueueOptions = {}) {
    this.#store = store;
    this.#o = {
      concurrency: options.concurrency ?? 4,
      pollMs: options.pollMs ?? 1000,
      leaseMs: options.leaseMs ?? 60_000,
      workflowIds: options.workflowIds,
      runIds: options.runIds,
    };
    this.#fair = new FairShare(options.perWorkflow ?? defaultPerWorkflow(this.#o.concurrency));
  }

  start(handler: RunHandler): void {
    this.#handler = handler;
    liveOwners.add(this.owner);
    const tick = () => {
      if (this.#stopped) return;
      this.#recover = true;
      this.notify();
      this.#timer = setTimeout(tick, this.#o.pollMs);
      this.#timer.unref?.();
    };
    tick();
  }

  notify(): void {
    this.#nothingQueued = false;
    if (this.#scanning) {
      this.#rescan = true;
      return;
    }
    void this.#scan();
  }

  /** Whether a run found in the store may be taken now. */
  #takeable(run: RunRecord): boolean {
    if (this.#inFlight.has(run.id)) return false;
    if (run.status === "queued") return true;
    if (!run.leaseOwner) return true;
    if (run.leaseUntil && Date.parse(run.leaseUntil) < Date.now()) return true;
    return ownerIsDead(run.leaseOwner);
  }

  async #scan(): Promise<void> {
    const handler = this.#handler;
    if (!handler || this.#stopped) return;
    this.#scanning = true;
    try {
      do {
        this.#rescan = false;
        const free = this.#o.concurrency - this.#inFlight.size - this.#reserved;
        if (free <= 0) break;
        const recover = this.#recover || this.#waiters.length > 0;
        this.#recover = false;
        const candidates = this.#stopped ? [] : await this.#candidates(free, recover);
        // Claimed together: their writes share one commit (see GroupCommit). A claim another
        // process won leaves its slot free for the next scan.
        const picked = candidates.slice(0, free);
        // Settled one by one: a claim that failed (a store error) must not strand the ones that
        // succeeded, which this worker now holds and has to execute.
        const leases = await Promise.allSettled(
          picked.map((run) => this.#store.runs.claimLease(run, this.owner, this.#o.leaseMs)),
        );
        picked.forEach((run, i) => {
          const settled = leases[i]!;
          const lease = settled.status === "fulfilled" ? settled.value : undefined;
          if (!lease) {
            // Another worker won it: look again (a store error waits for the timer instead).
            if (settled.status === "fulfilled") this.#rescan = true;
            return;
          }
          this.#fair.started(run.workflowId);
          this.#run(handler, { ...run, status: "running", leaseOwner: this.owner, leaseToken: lease.token }, lease);
        });
        this.#lastScanFoundNothing = recover && candidates.length === 0;
        this.#nothingQueued = candidates.length === 0 && this.#fair.queuedWorkflows === 0 && !this.#rescan;
      } while (this.#rescan && !this.#stopped);
    } catch {
      this.#lastScanFoundNothing = false; // a transient store error: the timer scans again
      this.#nothingQueued = false;
    } finally {
      this.#scanning = false;
    }
    if (this.#inFlight.size === 0 && this.#lastScanFoundNothing) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w();
    }
  }

  /** Executes a run this queue holds (its workflow already counted by `FairShare.started`). */
  #run(handler: RunHandler, run: RunRecord, lease: Lease): void {
    this.#inFlight.add(run.id);
    void handler(run, this.owner, lease)
      .catch(() => {})
      .finally(() => {
        this.#inFlight.delete(run.id);
        this.#fair.ended(run.workflowId);
        this.notify();
      });
  }

  /**
   * Creates a run that can start now — a slot is free, its workflow is under its share, and no
   * run of any workflow waits in the queue (so it takes nobody's turn) — already claimed by this
   * queue, and executes it: one write instead of queue, read back, claim. Otherwise resolves
   * undefined and the caller queues the run as usual.
   */
  async submit(r: NewRun): Promise<number | undefined> {
    const handler = this.#handler;
    const o = this.#o;
    if (!handler || this.#stopped || o.runIds || o.workflowIds || this.#scanning || !this.#nothingQueued) return;
    if (this.#inFlight.size + this.#reserved >= o.concurrency || !this.#fair.hasRoom(r.workflowId)) return;
    this.#reserved++;
    this.#fair.started(r.workflowId);
    let run: RunRecord;
    try {
      run = await this.#store.runs.enqueueClaimed(r, this.owner, o.leaseMs);
    } catch (err) {
      this.#fair.ended(r.workflowId);
      throw err;
    } finally {
      this.#reserved--;
    }
    this.#run(handler, run, { runId: run.id, token: run.leaseToken, leaseMs: o.leaseMs });
    return run.id;
  }

  /**
   * What to claim for `free` slots: with `recover`, running runs whose worker died first (few,
   * and owed); then queued runs picked fairly across workflows (see FairShare). `runs replay`
   * (runIds) takes exactly its runs.
   */
  async #candidates(free: number, recover: boolean): Promise<RunRecord[]> {
    const { workflowIds, runIds } = this.#o;
    const out: RunRecord[] = [];
    if (recover || runIds) {
      const found = await this.#store.runs.candidates({ workflowIds, runIds, limit: free, running: recover });
      out.push(...found.filter((r) => (runIds || r.status === "running") && this.#takeable(r)));
    }
    if (!runIds && out.length < free) {
      const fair = await this.#fair.pick(this.#store, free - out.length, { workflowIds });
      out.push(...fair.filter((r) => this.#takeable(r)));
    }
    return out;
  }

  drain(): Promise<void> {
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      this.notify();
    });
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    while (this.#inFlight.size > 0) await new Promise((r) => setTimeout(r, 20));
    liveOwners.delete(this.owner);
    for (const w of this.#waiters) w();
    this.#waiters = [];
  }
}
