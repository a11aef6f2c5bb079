/**
 * What a run and its steps look like to the rest of the program: the statuses, the records read
 * from the `runs` and `step_results` rows, and the summary listings show.
 */
import type { Kysely, Selectable } from "kysely";
import type { GroupCommit } from "../group-commit.ts";
import type { Database, RunsTable } from "../schema.ts";

/**
 * Every status a run can have; the HTTP API's schemas, the CLI's and MCP's choices, /metrics and
 * the UI's types are built from this list. `filtered`: a filter step stopped the run (it did what
 * it was built to do, but sent nothing after the filter).
 */
export const RUN_STATUSES = ["queued", "running", "succeeded", "filtered", "failed", "unknown"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** The statuses a run ends with. */
export type RunEnd = Exclude<RunStatus, "queued" | "running">;

/**
 * How an ended run counts in a workflow's health: a filtered run is neither a success nor a
 * failure (it ran as built and stopped at its filter); `unknown` needs a human, as a failure does.
 */
export const RUN_END_COUNTS_AS: Record<RunEnd, "success" | "failure" | "neither"> = {
  succeeded: "success",
  filtered: "neither",
  failed: "failure",
  unknown: "failure",
};

/** Whether a run with this status has ended (not queued, parked or running). */
export const isRunEnded = (status: RunStatus): status is RunEnd => Object.hasOwn(RUN_END_COUNTS_AS, status);

/** Whether a run with this status needs a look (failed, or its outcome is unknown). */
export const isRunFailure = (status: RunStatus): boolean =>
  isRunEnded(status) && RUN_END_COUNTS_AS[status] === "failure";

/** A workflow's runs counted for its health summary, from runs per status (`RunStore.counts`). */
export function runHealthCounts(counts: Partial<Record<string, number>>) {
  const out = { runs: 0, succeeded: 0, filtered: 0, failed: 0 };
  for (const [status, n = 0] of Object.entries(counts)) {
    out.runs += n;
    const as = RUN_END_COUNTS_AS[status as RunEnd];
    if (as === "success") out.succeeded += n;
    else if (as === "failure") out.failed += n;
    else if (as === "neither") out.filtered += n;
  }
  return out;
}
export const STEP_STATUSES = ["running", "succeeded", "failed", "skipped", "unknown"] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export interface RunRecord {
  id: number;
  workflowId: number;
  workflow: string;
  /** The workflow keeps metadata only: the run's payloads are dropped when it ends. */
  metadataOnly: boolean;
  workflowVersion: number;
  trigger: string;
  eventKey: string;
  status: RunStatus;
  triggerPayload: unknown;
  error: string | null;
  /** What the error's sentence leaves out (a 422's field list, a response body); null when none or not kept. */
  details: unknown;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  notBefore: string | null;
  leaseOwner: string | null;
  leaseUntil: string | null;
  replayOf: number | null;
  /** The current claim's fencing token (see `Lease`). */
  leaseToken: number;
  /** Times the run was taken over from a worker that stopped while running it. */
  interruptions: number;
  /** Why the payloads are gone, or null while they are kept. */
  dataRemoved: DataRemoved | null;
}

/** Why a run's payloads were removed before its retention ended. */
export const DATA_REMOVED = {
  "metadata-only":
    "Not kept: this workflow keeps metadata only, so the trigger event and each step's input and output were dropped when the run ended.",
  purged: "Erased on request: the trigger event and each step's input and output were removed from this run.",
} as const;
export type DataRemoved = keyof typeof DATA_REMOVED;

export interface StepRecord {
  stepId: string;
  seq: number;
  status: StepStatus;
  input: unknown;
  output: unknown;
  error: string | null;
  /** What the error's sentence leaves out; null when none or not kept. */
  details: unknown;
  attempts: number;
  startedAt: string;
  finishedAt: string | null;
}

/** A run to create, with what the worker executing it needs of its workflow. */
export interface NewRun {
  workflowId: number;
  workflowVersion: number;
  /** The workflow's name and whether it keeps metadata only (as its row says now). */
  workflow: string;
  metadataOnly: boolean;
  triggerKey: string;
  eventKey: string;
  payload: unknown;
}

export interface RunFilter {
  workflowId?: number;
  status?: RunStatus;
  limit?: number;
  /** Only the replays of this run. */
  replayOf?: number;
}

/** A run without its payload or steps: what listings show (small, and free of patient data). */
export function runSummary(r: RunRecord) {
  return {
    id: r.id,
    workflow: r.workflow,
    workflowVersion: r.workflowVersion,
    trigger: r.trigger,
    eventKey: r.eventKey,
    status: r.status,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    error: r.error,
    replayOf: r.replayOf,
    dataNotKept: r.dataRemoved ? DATA_REMOVED[r.dataRemoved] : null,
  };
}

export const parse = (s: string | null): unknown => (s == null ? null : JSON.parse(s));
export const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));

/** A `runs` row with its workflow's name and privacy setting. */
export type JoinedRow = Selectable<RunsTable> & { workflow_name: string; workflow_metadata_only: number };

/** The runs with their workflow's columns, as `runFromRow` reads them. */
export function selectRuns(db: Kysely<Database>) {
  return db
    .selectFrom("runs")
    .innerJoin("workflows", "workflows.id", "runs.workflow_id")
    .selectAll("runs")
    .select(["workflows.name as workflow_name", "workflows.metadata_only as workflow_metadata_only"]);
}

export function runFromRow(r: JoinedRow): RunRecord {
  return {
    id: r.id,
    workflowId: r.workflow_id,
    workflow: r.workflow_name,
    metadataOnly: r.workflow_metadata_only === 1,
    workflowVersion: r.workflow_version,
    trigger: r.trigger_key,
    eventKey: r.event_key,
    status: r.status as RunStatus,
    triggerPayload: parse(r.trigger_payload),
    error: r.error,
    details: parse(r.error_details),
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    notBefore: r.not_before,
    leaseOwner: r.lease_owner,
    leaseUntil: r.lease_until,
    replayOf: r.replay_of,
    leaseToken: r.lease_token,
    interruptions: r.interruptions,
    dataRemoved: (r.data_removed as DataRemoved | null) ?? null,
  };
}

/** The database a run's statements go to, and the group commit its hot-path writes join (none inside a transaction). */
export interface RunsDb {
  db: Kysely<Database>;
  group?: GroupCommit;
}

export async function findRun({ db }: RunsDb, id: number): Promise<RunRecord | undefined> {
  const r = await selectRuns(db).where("runs.id", "=", id).executeTakeFirst();
  return r ? runFromRow(r) : undefined;
}
