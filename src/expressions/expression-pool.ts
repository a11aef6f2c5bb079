/**
 * A small pool of long-lived worker processes that evaluate JSONata expressions. An expression is
 * code a workflow author wrote, but one built-in call (`$pad`, `$string` over a huge range, a
 * catastrophic regex) can block for seconds or exhaust a heap, and JSONata cannot be interrupted
 * from inside. In a worker it can: the pool gives each expression a hard time limit (the worker's
 * CPU time, so a loaded machine does not stop a legal expression) and a heap limit, kills the
 * worker on overrun and starts a fresh one, and the server never stops answering. Waiting for a
 * free worker has its own deadline and never counts against the expression's limit, and the
 * waiting expressions take turns by workflow, so one workflow's flood cannot starve the others.
 *
 * Processes, not worker threads: a thread that outgrows its `resourceLimits` in one large
 * allocation (`$string([1..10000000])`) hits V8's fatal out-of-memory handler, which aborts the
 * whole process; and a thread stuck in a built-in cannot be stopped until it returns. A child
 * process is killed at once and takes nothing else with it.
 */
import { type ChildProcess, fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";
import type { ExpressionAnswer, ExpressionJob } from "./expression-worker.ts";
import { Lanes } from "./lanes.ts";

/** Heap one expression may use; a workflow's scope (trigger, step outputs ≤ 5 MB each) fits well. */
export const EXPRESSION_HEAP_MB = 64;
const SIZE = Math.max(1, Math.min(2, availableParallelism()));
// The worker is a sibling module: `.ts` when running the sources, `.js` when compiled to dist/.
const WORKER_URL = new URL(`./expression-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/**
 * How long an expression may wait for a free worker before it fails, apart from its own limit:
 * a busy pool is not the expression's fault, so waiting never counts against its time limit,
 * but nothing waits forever either. CLINIKO_FLOW_EXPRESSION_WAIT_MS overrides it.
 */
export const DEFAULT_QUEUE_WAIT_MS = 30_000;
/**
 * The time limit counts the worker's CPU time (where /proc tells it), so an expression is not
 * stopped because a loaded machine gave its worker little of the CPU. A worker that has not
 * finished after this many times its limit in wall-clock time is stopped all the same.
 */
const WALL_BACKSTOP = 5;
const TICK_MS = 10; // /proc reports CPU in clock ticks (USER_HZ = 100 on Linux)

/** Why an expression was stopped rather than answered. */
export type Overrun =
  | { kind: "time"; limitMs: number }
  | { kind: "memory"; limitMb: number }
  | { kind: "busy"; waitedMs: number };

export class ExpressionStopped extends Error {
  override name = "ExpressionStopped";
  readonly overrun: Overrun;
  constructor(overrun: Overrun) {
    super(
      overrun.kind === "time"
        ? `took longer than ${duration(overrun.limitMs)}`
        : overrun.kind === "memory"
          ? `needed more than ${overrun.limitMb} MB of memory`
          : `waited longer than ${duration(overrun.waitedMs)} for a free expression worker (the pool is busy with other runs' expressions)`,
    );
    this.overrun = overrun;
  }
}

/** An error JSONata reported (the expression is wrong for this data). */
export class ExpressionFailed extends Error {
  override name = "ExpressionFailed";
}

function duration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

interface Job extends ExpressionJob {
  limitMs: number;
  /** Whose turn it is when a worker frees: the workflow the expression belongs to. */
  lane: string;
  resolve(value: unknown): void;
  reject(err: Error): void;
  /** Fails the job if no worker is free in time (cleared when it starts). */
  waitTimer?: NodeJS.Timeout;
}

interface Slot {
  worker: ChildProcess;
  job?: Job;
  timer?: NodeJS.Timeout;
  /** Terminated or crashed: never given another job. */
  dead: boolean;
  /** Said it was ready (a worker that exits before that could not start at all). */
  ready: boolean;
}

const idle: Slot[] = [];
let live = 0;

/** The expressions waiting for a worker, taking turns by workflow (lanes.ts). */
const queue = new Lanes<Job>();

/** How many workers are up, how many of them are idle, and how many jobs wait (metrics, tests). */
export function expressionPoolState(): { live: number; idle: number; waiting: number } {
  return { live, idle: idle.length, waiting: queue.size };
}

function queueWaitMs(): number {
  const v = Number(process.env.CLINIKO_FLOW_EXPRESSION_WAIT_MS);
  return Number.isFinite(v) && v > 0 ? v : DEFAULT_QUEUE_WAIT_MS;
}

/**
 * Evaluates `expression` over `scope` in a worker, stopped past `limitMs` of CPU time. `workflow`
 * names whose expression it is: while workers are busy, waiting expressions take turns by it.
 */
export function evaluateInWorker(
  expression: string,
  scope: unknown,
  limitMs: number,
  workflow: string,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const job: Job = { expression, scope, limitMs, lane: workflow, resolve, reject };
    queue.push(job);
    pump();
    if (queue.includes(job)) {
      const waitMs = queueWaitMs();
      job.waitTimer = setTimeout(() => {
        if (queue.remove(job)) reject(new ExpressionStopped({ kind: "busy", waitedMs: waitMs }));
      }, waitMs);
    }
  });
}

function pump(): void {
  while (queue.size > 0) {
    const slot = idle.pop();
    if (!slot) {
      // A booting worker joins `idle` when it says it is ready; its boot is not the job's time.
      while (live < SIZE) spawn();
      return;
    }
    start(slot, queue.shift()!);
  }
}

function spawn(): void {
  live++;
  const worker = fork(fileURLToPath(WORKER_URL), [], {
    execArgv: [`--max-old-space-size=${EXPRESSION_HEAP_MB}`, "--max-semi-space-size=8", "--stack-size=2000"],
    serialization: "advanced",
    stdio: ["ignore", "ignore", "ignore", "ipc"],
  });
  const slot: Slot = { worker, dead: false, ready: false };
  worker.on("message", (message) => {
    const answer = message as ExpressionAnswer | "ready";
    if (answer === "ready") {
      if (slot.dead) return;
      slot.ready = true;
      // An idle worker must not keep a CLI command (or a test) alive; one with a job does.
      release(worker);
      idle.push(slot);
      return pump();
    }
    const job = take(slot);
    if (!job) return;
    if (answer.ok) job.resolve(answer.value);
    else job.reject(new ExpressionFailed(answer.message));
    idle.push(slot);
    pump();
  });
  worker.on("error", (err: Error) => {
    take(slot)?.reject(new ExpressionFailed(err.message));
    worker.kill("SIGKILL");
    retire(slot);
  });
  worker.on("exit", () => {
    // Not killed by us (that took the job already): it ran out of memory.
    take(slot)?.reject(new ExpressionStopped({ kind: "memory", limitMb: EXPRESSION_HEAP_MB }));
    retire(slot);
  });
}

/**
 * Takes a killed or crashed worker out of the pool and starts its replacement at once. A worker
 * that never became ready could not start at all: what waits fails, rather than a restart loop.
 */
function retire(slot: Slot): void {
  if (slot.dead) return;
  slot.dead = true;
  const i = idle.indexOf(slot);
  if (i >= 0) idle.splice(i, 1);
  live--;
  if (slot.ready) spawn();
  else failAll();
}

/** A worker that cannot start (a broken install) fails what waits rather than hanging it. */
function failAll(): void {
  for (const job of queue.clear()) job.reject(new ExpressionFailed("the expression worker thread did not start"));
}

/** CPU ms a worker process has used so far (user + system), or undefined where /proc is missing. */
function cpuMsOf(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return undefined;
  }
}

function start(slot: Slot, job: Job): void {
  clearTimeout(job.waitTimer);
  slot.job = job;
  hold(slot.worker);
  const startedAt = performance.now();
  const cpuAtStart = cpuMsOf(slot.worker.pid);
  const stop = () => {
    take(slot)?.reject(new ExpressionStopped({ kind: "time", limitMs: job.limitMs }));
    slot.worker.kill("SIGKILL");
    retire(slot);
  };
  // Checked when the limit has passed in wall-clock time; then again when the CPU the worker
  // still may use could have passed, until it has used its limit (or the wall-clock backstop).
  const check = () => {
    const cpu = cpuAtStart === undefined ? undefined : cpuMsOf(slot.worker.pid);
    const wall = performance.now() - startedAt;
    if (cpu === undefined || cpuAtStart === undefined || wall >= job.limitMs * WALL_BACKSTOP) return stop();
    const left = job.limitMs - (cpu - cpuAtStart);
    if (left <= 0) return stop();
    slot.timer = setTimeout(check, Math.max(TICK_MS, left));
  };
  slot.timer = setTimeout(check, job.limitMs);
  try {
    slot.worker.send({ expression: job.expression, scope: job.scope } satisfies ExpressionJob);
  } catch (err) {
    // A value the structured clone cannot copy; the worker is still fine.
    take(slot)?.reject(new ExpressionFailed((err as Error).message));
    idle.push(slot);
  }
}

/** The slot's current job, detached (so it is settled once), with its timer cleared. */
function take(slot: Slot): Job | undefined {
  const job = slot.job;
  slot.job = undefined;
  clearTimeout(slot.timer);
  if (job) release(slot.worker);
  return job;
}

/** A worker with a job keeps the parent alive; an idle one must not keep a CLI command (or a test) alive. */
function hold(worker: ChildProcess): void {
  worker.ref();
  worker.channel?.ref();
}
function release(worker: ChildProcess): void {
  worker.unref();
  worker.channel?.unref();
}
