/**
 * Table shapes as Kysely sees them. Times are ISO 8601 UTC strings and JSON is text on both
 * SQLite and PostgreSQL, so one set of queries serves both; flags are 0/1 integers for the same reason.
 */
import type { Generated } from "kysely";

export interface ConnectionsTable {
  id: Generated<number>;
  name: string;
  email: string;
  region: string | null;
  base_url: string | null;
  /** AES-256-GCM envelope (see secrets.ts); never the key itself. */
  api_key_enc: string;
  /** Last characters of the key, to tell connections apart in listings. */
  key_hint: string;
  /** cliniko, smtp, twilio, … (src/connection-kinds.ts). */
  kind: Generated<string>;
  /** An app connection's non-secret settings (JSON); its secrets are in `api_key_enc`. */
  settings: string | null;
  created_at: string;
  updated_at: string;
}

export interface WorkflowsTable {
  id: Generated<number>;
  name: string;
  version: number;
  /** The current version's definition (JSON). */
  definition: string;
  enabled: number;
  metadata_only: number;
  /** When the trigger was (last) switched on: events before it are history, not news. */
  activated_at: string | null;
  /** A backfill asked for with `--since`, consumed by the next poll. */
  backfill_from: string | null;
  /** Set when the engine pauses the workflow (e.g. the connection's key was rejected). */
  paused_reason: string | null;
  /** The draft: a definition kept when switching it on was refused (JSON), never run; null if none. */
  draft_definition: string | null;
  /** When the draft was kept. */
  draft_saved_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface WorkflowVersionsTable {
  workflow_id: number;
  version: number;
  definition: string;
  created_at: string;
}

export interface TriggerCursorsTable {
  /** Connection name, or `env:<fingerprint>` for the CLINIKO_* environment connection. */
  connection_key: string;
  poll_key: string;
  cursor: string;
  /** Where the next poll reads from; null: cursor minus the overlap (see PollWindow in polling.ts). */
  settled: string | null;
  /** Events stamped before this are handled; null: cursor minus the overlap. */
  seen_floor: string | null;
  last_poll_at: string | null;
  last_error: string | null;
  failures: number;
  updated_at: string;
}

/** A workflow's read-through mark on its pair's listing (see PollingStore.readThrough). */
export interface PollReadersTable {
  connection_key: string;
  poll_key: string;
  workflow_id: number;
  /** Every change visible up to this stamp was read by a poll that served this workflow. */
  cursor: string;
  updated_at: string;
}

export interface SeenEventsTable {
  workflow_id: number;
  event_key: string;
  /** The record's time the event is about (created_at / updated_at / cancelled_at): pruning is by it. */
  event_time: string;
  connection_key: string;
  poll_key: string;
  created_at: string;
}

export interface RunsTable {
  id: Generated<number>;
  workflow_id: number;
  workflow_version: number;
  trigger_key: string;
  event_key: string;
  status: string;
  /** The event that started the run (JSON); null once scrubbed for metadata-only workflows. */
  trigger_payload: string | null;
  error: string | null;
  /** JSON: what the error's sentence leaves out (0014); null once payloads are removed. */
  error_details: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** A delay step parks the run until then. */
  not_before: string | null;
  lease_owner: string | null;
  lease_until: string | null;
  replay_of: number | null;
  /** Incremented by every claim; a write of the run succeeds only with the current value (fencing). */
  lease_token: Generated<number>;
  /** Claims that took the run over while it was `running` (its worker stopped mid-run). */
  interruptions: Generated<number>;
  /** Why the payloads are gone: `metadata-only` (the workflow keeps none) or `purged` (erased on request). */
  data_removed: string | null;
  /** Bytes of `trigger_payload` (0 once removed): summed per workflow for the storage cap. */
  payload_bytes: Generated<number>;
}

export interface StepResultsTable {
  run_id: number;
  step_id: string;
  seq: number;
  status: string;
  input: string | null;
  output: string | null;
  error: string | null;
  /** JSON: what the error's sentence leaves out (0014). */
  error_details: string | null;
  attempts: number;
  started_at: string;
  finished_at: string | null;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: string;
  actor: string;
  action: string;
  subject: string;
  detail: string | null;
}

/** The HTTP server's own state (src/server/auth.ts, src/server/webhooks.ts). */
export interface AuthSettingsTable {
  key: string;
  value: string;
  updated_at: string;
}

export interface AuthSessionsTable {
  id_hash: string;
  created_at: string;
  expires_at: string;
}

export interface ApiTokensTable {
  id: string;
  name: string;
  token_hash: string;
  created_at: string;
  last_used_at: string | null;
  /** After this the token is refused; null: it does not expire. */
  expires_at: string | null;
  /** read, write or mcp-read (src/server/token-scopes.ts). */
  scope: Generated<string>;
}

export interface WebhookTokensTable {
  workflow_id: number;
  token: string;
  created_at: string;
}

/** The scrypt parameters of the API-key encryption (one row; see secrets.ts). */
export interface SecretKdfTable {
  id: number;
  /** JSON of KdfParams: algorithm, salt, N, r, p. Not secret: useless without the key material. */
  params: string;
  created_at: string;
}

/** Per connection, the appointments and attendees the due triggers are computed from (src/store/due.ts). */
export interface DueIndexTable {
  connection_key: string;
  /** individual_appointments or group_appointments (a class: its attendees are in due_attendees). */
  resource: string;
  record_id: string;
  patient_id: string | null;
  practitioner_id: string | null;
  appointment_type_id: string | null;
  business_id: string | null;
  starts_at: string;
  ends_at: string;
  /** booked, arrived, did_not_arrive, cancelled, archived or deleted. */
  state: string;
  /** When the record got its current starts_at/ends_at (created or moved): a last-minute booking is timed after its due time. */
  timed_at: string;
  record_updated_at: string;
}

/** Per connection, the class attendees the due triggers fire for; their class is a due_index row (src/store/due.ts). */
export interface DueAttendeesTable {
  connection_key: string;
  record_id: string;
  /** The attendee's booking: its group appointment's id (an individual appointment's attendee is dropped). */
  group_id: string;
  patient_id: string | null;
  /** The attendee's own state: booked, arrived, did_not_arrive, cancelled, archived or deleted. */
  state: string;
  /** When the attendee was booked into the class (its created_at). */
  booked_at: string;
  record_updated_at: string;
}

export interface DueFillsTable {
  connection_key: string;
  resource: string;
  /** The fill read every record starting from here on. */
  filled_from: string;
  filled_at: string;
}

/** A flag trigger's activation whose already-flagged records are recorded as seen. */
export interface TriggerSnapshotsTable {
  workflow_id: number;
  activated_at: string;
  records: number;
  created_at: string;
}

/** A setting templates read as `env.FLOW_…`; a secret's value is encrypted. */
export interface WorkflowSettingsTable {
  name: string;
  value: string;
  secret: number;
  updated_at: string;
}

export interface Database {
  due_index: DueIndexTable;
  due_attendees: DueAttendeesTable;
  due_fills: DueFillsTable;
  trigger_snapshots: TriggerSnapshotsTable;
  connections: ConnectionsTable;
  workflows: WorkflowsTable;
  workflow_versions: WorkflowVersionsTable;
  trigger_cursors: TriggerCursorsTable;
  seen_events: SeenEventsTable;
  poll_readers: PollReadersTable;
  runs: RunsTable;
  step_results: StepResultsTable;
  audit_log: AuditLogTable;
  auth_settings: AuthSettingsTable;
  auth_sessions: AuthSessionsTable;
  api_tokens: ApiTokensTable;
  webhook_tokens: WebhookTokensTable;
  secret_kdf: SecretKdfTable;
  workflow_settings: WorkflowSettingsTable;
}
