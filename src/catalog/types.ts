/** The shapes of the catalogue's entries: what the engine, the HTTP API, the UI and the CLI program against. */
import type { z } from "zod";
import type { RecordOf } from "../cliniko/records.generated.ts";
import type { ResourceName } from "../cliniko/resources.ts";
import type { OperationSpec } from "../cliniko/spec.ts";
import type { ClinikoClient, ClinikoRecord, HttpMethod } from "../cliniko/types.ts";
import type { JsonSchema } from "../cliniko/zod-schema.ts";

export type ActionKind =
  | "create"
  | "update"
  | "find"
  | "list"
  | "archive"
  | "unarchive"
  | "cancel"
  | "delete"
  | "custom";

/**
 * Where an entry comes from: the product brief (its keys and titles are pinned), Cliniko's API
 * document (one per operation), or cliniko-flow itself (an answer the API gives no single
 * operation for, computed from its reads).
 */
export const CATALOG_SOURCES = ["brief", "api", "flow"] as const;
export type CatalogSource = (typeof CATALOG_SOURCES)[number];

/**
 * Whether an interrupted execution of an action may run again after a crash:
 * - `read`: it changes nothing anywhere (a find, a filter);
 * - `idempotent`: repeating it leaves the same state (PUT, DELETE, archive);
 * - `write-once`: repeating it could write twice (a POST creating a record): it is recorded as in
 *   flight before it runs, and an interrupted one becomes `unknown`, never re-sent.
 * Cliniko actions derive it from their method and kind; app actions declare it in their row.
 */
export type RepeatSafety = "read" | "idempotent" | "write-once";

export interface ActionDef {
  /** The brief's slug (e.g. `create_patient`), or one derived from the operation for `source: "api"`. */
  key: string;
  title: string;
  source: CatalogSource;
  group: string;
  kind: ActionKind;
  /** One line: what it does in Cliniko (honest about archives and unsupported writes). */
  description: string;
  method: HttpMethod;
  /** Cliniko path template of the main request, e.g. `/patients/{id}`. */
  path: string;
  /** False when Cliniko's API document has no such operation (the request is sent anyway; see description). */
  documented: boolean;
  /** The catalogue resource it reads or writes, when there is one. */
  resource?: ResourceName;
  /** Validates (and normalises) the input; `run` applies it before any request. */
  input: z.ZodType;
  /** JSON Schema of `input` (what a caller may send). */
  inputSchema: JsonSchema;
  /** An example of what `run` resolves to. */
  outputSample: unknown;
  /** Validates `input` (throws ActionInputError before any request), then performs the action. */
  run(client: ClinikoClient, input: unknown): Promise<unknown>;
}

/**
 * What makes a trigger fire: a record's creation or change, a state's timestamp being set
 * (cancelled_at, archived_at, finalized_at, completed_at), or a flag turning true (did_not_arrive, patient_arrived).
 */
export type TriggerEventKind =
  | "new"
  | "updated"
  | "cancelled"
  | "archived"
  | "finalised"
  | "completed"
  | "did_not_arrive"
  | "arrived"
  /** A time relative to an appointment came (due-triggers.ts): not detected from a poll's changes. */
  | "due";

/** When a due trigger fires: before the start, after the end, or after the patient's last visit. */
export type DueKind = "before" | "after" | "recall";

/** A record a trigger reads: one of the generated record types (ids, timestamps typed). */
export type TriggerRecord = RecordOf<ResourceName>;

export interface TriggerDef {
  key: string;
  title: string;
  source: CatalogSource;
  group: string;
  description: string;
  resource: ResourceName;
  event: TriggerEventKind;
  /** The list operations polled for this resource (ListPractitioners + ListInactivePractitioners). */
  lists: OperationSpec[];
  /** Their paths, for people and docs (e.g. `["/practitioners", "/practitioners/inactive"]`). */
  paths: string[];
  /** `q[]` filters sent so hidden rows are seen (e.g. `["archived_at:*", "cancelled_at:*"]`). */
  stateFilters: string[];
  /** Dedupe key: new and flags → id; timestamps → `${id}@${stamp}` (updated_at, cancelled_at, ...). */
  identity(record: TriggerRecord): string;
  /** An example record, as the event's payload. */
  sample: ClinikoRecord;
  /** JSON Schema of the trigger's options (an empty object for the polled triggers). */
  inputSchema: JsonSchema;
  /** Set on the time-relative triggers, fired by the engine's due scheduler instead of detect(). */
  due?: DueKind;
  /** Other resources the trigger needs polled besides its own (the due triggers: classes and attendees). */
  alsoPolls?: ResourceName[];
  /**
   * Its options `appointment_types`, `practitioners` and `businesses` keep it to records whose
   * booking (an attendee's class or appointment) has those; the poller reads the booking's ids.
   */
  filtersByBooking?: boolean;
  /** The options' problems, each at its path (`trigger.options.before`), in plain words (none: no options to check). */
  optionIssues?(options: unknown): { path: string; message: string }[];
}

export interface TriggerEvent {
  trigger: string;
  /** The dedupe key (`identity(record)`). */
  key: string;
  record: TriggerRecord;
  /** The timestamp that made it fire (created_at, updated_at, cancelled_at, ...; a flag's: updated_at). */
  at: string;
}

export interface DetectState {
  /** When the trigger was switched on: nothing older fires (no backfill). */
  activatedAt: string;
  /** True when this dedupe key was already emitted for this trigger. */
  seen(key: string): boolean;
}
