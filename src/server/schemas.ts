/**
 * The HTTP API's shapes, as zod schemas: the one source for request validation (Fastify's zod
 * type provider), response shaping (the serializer drops undeclared fields, so a secret cannot
 * slip into a response by accident), the OpenAPI document (openapi.ts) and the web client's types
 * (wire.ts infers them). The workflow definition is the engine's own `WorkflowSchema`.
 */
import { z } from "zod";
import { CATALOG_SOURCES } from "../catalog/types.ts";
import { type ResourceName, resourceNames } from "../cliniko/resources.ts";
import { CONNECTION_KINDS } from "../connection-kinds.ts";
import { nameSchema } from "../engine/names.ts";
import { REPLAY_VERSIONS } from "../engine/replay-plan.ts";
import { WorkflowSchema } from "../engine/workflow.ts";
import { StepSchema } from "../steps/definition.ts";
import { FLOW_EFFECTS, NESTINGS } from "../steps/types.ts";
import { RUN_STATUSES, STEP_STATUSES } from "../store/runs.ts";
import { SETTING_NAME } from "../store/settings.ts";
import { TOKEN_SCOPES } from "./token-scopes.ts";

export { StepSchema as WorkflowStep, WorkflowSchema };

// ── shared pieces ────────────────────────────────────────────────────────────────────────────────

export const Issue = z.object({
  path: z.string(),
  message: z.string(),
  where: z.string().optional().describe('The path as the editor numbers it, e.g. "Step 2 · case 1 · step 3".'),
});

export const ApiErrorBody = z
  .object({
    statusCode: z.number().int(),
    /** Machine-readable code, e.g. `validation_failed`, `not_found`, `unauthorized`. */
    error: z.string(),
    message: z.string(),
    /** Field-level problems (request validation, workflow validation, Cliniko 422s). */
    details: z.array(Issue).optional(),
    draftKept: z
      .boolean()
      .optional()
      .describe(
        "On a refused save or switch-on of a workflow: true when the submitted definition was kept as its draft (no new version).",
      ),
  })
  .describe("Every error: one JSON shape with a clear message.");

export const IdParams = z.strictObject({ id: z.string().min(1) });
export const Ok = z.object({ ok: z.boolean() });
/** 204: no body. */
export const NoContent = z.undefined().describe("No content");

/** JSON Schema as the catalogue publishes it; the editor builds its forms from these fields. */
export const JsonSchema = z.looseObject({
  type: z.union([z.string(), z.array(z.string())]).optional(),
  title: z.string().optional(),
  description: z.string().optional(),
  get properties() {
    return z.record(z.string(), JsonSchema).optional();
  },
  required: z.array(z.string()).optional(),
  get items() {
    return JsonSchema.optional();
  },
  enum: z.array(z.unknown()).optional(),
  format: z.string().optional(),
  /** A secret: sent, never returned (forms show a password input). */
  writeOnly: z.boolean().optional(),
  default: z.unknown().optional(),
  get anyOf() {
    return z.array(JsonSchema).optional();
  },
  get oneOf() {
    return z.array(JsonSchema).optional();
  },
});

// ── session and tokens ───────────────────────────────────────────────────────────────────────────

export const LoginBody = z.strictObject({ password: z.string().min(1) });
export const SessionView = z.object({ authenticated: z.boolean(), via: z.enum(["session", "token"]).optional() });

export const TokenView = z.object({
  id: z.string(),
  name: z.string(),
  scope: z.enum(TOKEN_SCOPES),
  createdAt: z.string(),
  expiresAt: z.string().nullable().describe("After this the token is refused; null: it does not expire."),
  lastUsedAt: z.string().nullable(),
});
export const TokenCreateBody = z.strictObject({
  name: nameSchema(200),
  scope: z
    .enum(TOKEN_SCOPES)
    .default("write")
    .describe(
      "write: the whole API and MCP; read: the API's reads and MCP's read-only tools; mcp-read: MCP's read-only tools only.",
    ),
  expiresAt: z.iso
    .datetime({ offset: true })
    .refine((s) => Date.parse(s) > Date.now(), "must be in the future")
    .optional()
    .describe("When the token stops working (ISO 8601); omit for a token that does not expire."),
});
export const CreatedToken = TokenView.extend({ token: z.string() });

// ── settings ─────────────────────────────────────────────────────────────────────────────────────

export const SettingNameParams = z.strictObject({
  name: z
    .string()
    .regex(SETTING_NAME, "use FLOW_ followed by capital letters, digits or underscores (FLOW_FRONT_DESK_URL)"),
});
export const SettingBody = z.strictObject({
  value: z.string().min(1, "give a value").max(10_000),
  secret: z.boolean().default(false).describe("Stored encrypted, never shown again, cut out of run records."),
});
export const SettingView = z.object({
  name: z.string(),
  secret: z.boolean(),
  /** Null for a secret: written, never read back. */
  value: z.string().nullable(),
  updatedAt: z.string(),
});
export const SettingsView = z.object({
  settings: z.array(SettingView),
  /** FLOW_* environment variables of the server: they win over a saved setting of the same name. */
  environment: z.array(z.string()),
  /** Settings stored workflows read that have no value, with the workflows reading each. */
  missing: z.array(z.object({ name: z.string(), workflows: z.array(z.string()) })),
});

// ── connections ──────────────────────────────────────────────────────────────────────────────────

export const ConnectionView = z
  .object({
    id: z.string().describe("The connection's name (connections are addressed by name)."),
    name: z.string(),
    kind: z.enum(CONNECTION_KINDS).describe("cliniko, or the app it talks to."),
    email: z.string(),
    region: z.string().nullable(),
    baseUrl: z.string().nullable(),
    /** An app connection's non-secret settings (host, port, from, …); null for Cliniko. */
    settings: z.record(z.string(), z.unknown()).nullable(),
    /** One line for listings: the Cliniko email, or the app's host/account. */
    summary: z.string(),
    createdAt: z.string().nullable(),
  })
  .describe("A connection. Keys, passwords and tokens are write-only: no response ever contains them.");

export const ConnectionCreateBody = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9 _.-]{0,63}$/, "must be letters, digits, space, _ . - (max 64)")
      .describe("Letters, digits, space, _ . - (max 64)."),
    kind: z
      .enum(CONNECTION_KINDS)
      .optional()
      .describe("Default cliniko; see GET /api/connection-kinds for the others."),
    apiKey: z.string().min(1).optional().meta({ writeOnly: true }).describe("cliniko: the API key (required)."),
    email: z.string().min(3).optional().describe("cliniko: your email (required)."),
    region: z.string().optional().describe("AU1–AU5, CA1, UK1–UK3, EU1; default: from the key's suffix."),
    baseUrl: z
      .string()
      .optional()
      .describe("Full base URL override, e.g. a sandbox's http://127.0.0.1:4010/v1 (apps: tests and the demo only)."),
    settings: z
      .record(z.string(), z.unknown())
      .optional()
      .meta({ writeOnly: true })
      .describe("An app kind's settings, per its schema in GET /api/connection-kinds (secrets included)."),
  })
  .superRefine((body, ctx) => {
    // A Cliniko connection needs its key and email; an app's fields are checked by its kind's schema.
    if ((body.kind ?? "cliniko") !== "cliniko") return;
    for (const field of ["apiKey", "email"] as const)
      if (body[field] === undefined)
        ctx.addIssue({ code: "custom", path: [field], message: `${field} is required for a Cliniko connection` });
  });

export const ConnectionKindView = z.object({
  kind: z.enum(CONNECTION_KINDS),
  title: z.string(),
  description: z.string(),
  docs: z.string(),
  /** The settings' JSON Schema; secret fields are marked writeOnly. */
  schema: JsonSchema,
  secrets: z.array(z.string()),
});

/** A connection's new settings: a secret left out or blank keeps its stored value. */
export const ConnectionUpdateBody = z.strictObject({
  apiKey: z
    .string()
    .optional()
    .meta({ writeOnly: true })
    .describe("cliniko: a new API key; blank keeps the stored one."),
  email: z.string().min(3).optional(),
  region: z.string().optional(),
  baseUrl: z.string().optional(),
  settings: z
    .record(z.string(), z.unknown())
    .optional()
    .meta({ writeOnly: true })
    .describe("An app's settings; a secret left out or blank keeps its stored value."),
});

export const RecordsParams = z.strictObject({
  id: z.string().min(1),
  resource: z
    .enum(resourceNames as [ResourceName, ...ResourceName[]])
    .describe("A Cliniko resource (practitioners, appointment_types, …)."),
});
/** A record offered by name in the editor's pickers (fields marked x-pick-from). */
export const RecordChoice = z.object({ id: z.string(), label: z.string() });

export const ConnectionTestResult = z.object({
  ok: z.boolean(),
  message: z.string().optional(),
  /** The Cliniko user the key belongs to, when the test succeeded. */
  user: z.object({ id: z.string().optional(), name: z.string(), email: z.string().optional() }).optional(),
});

// ── catalogue ────────────────────────────────────────────────────────────────────────────────────

/** What every catalogue entry, action or trigger, carries: its name, where it comes from and how it is found. */
const CatalogEntry = {
  key: z.string(),
  title: z.string(),
  /**
   * "brief": one of the product brief's; "api": derived from Cliniko's API document; "flow":
   * computed by cliniko-flow from Cliniko's reads (absent for built-ins).
   */
  source: z.enum(CATALOG_SOURCES).optional(),
  group: z.string(),
  kind: z.string(),
  description: z.string(),
  keywords: z.array(z.string()).optional(),
  /** Lower first: the groups clinics use most (patients, appointments, invoices) lead. */
  groupRank: z.number().optional(),
};

export const CatalogAction = z.looseObject({
  ...CatalogEntry,
  method: z.string().optional(),
  path: z.string().optional(),
  documented: z.boolean().optional(),
  resource: z.string().nullable().optional(),
  inputSchema: JsonSchema,
  outputSample: z.unknown().optional(),
  /** True for the engine's built-in steps (filter, branch, http.request, delay). */
  builtin: z.boolean().optional(),
  /** The kind of connection the step needs (the editor shows a picker), or null. */
  connection: z.string().nullable().optional(),
  /** Every connection kind the step accepts (the picker lists connections of these kinds). */
  connections: z.array(z.string()).optional(),
  /** What the step can do to the flow: continue, stop (a filter), choose nested steps (a branch), park (a delay). */
  effects: z.array(z.enum(FLOW_EFFECTS)).optional(),
  /** The step holds nested steps: `cases` (branch cases and else) or `steps` (a loop's steps); null when none. */
  nests: z.enum(NESTINGS).nullable().optional(),
});

export const CatalogTrigger = z.looseObject({
  ...CatalogEntry,
  resource: z.string().optional(),
  event: z.string().optional(),
  paths: z.array(z.string()).optional(),
  stateFilters: z.array(z.string()).optional(),
  inputSchema: JsonSchema.optional(),
  /** What `trigger` holds in a run, for the editor's data picker. */
  sample: z.unknown().optional(),
  builtin: z.boolean().optional(),
});

export const SampleQuery = z.strictObject({
  connection: z.string().optional(),
  live: z.enum(["0", "1", "true", "false"]).optional(),
});
export const SampleView = z.object({ sample: z.unknown(), live: z.boolean() });

// ── workflows ────────────────────────────────────────────────────────────────────────────────────

export const WorkflowSummary = z.object({
  id: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  version: z.number().int(),
  trigger: z.string(),
  triggerTitle: z.string().describe("The trigger's name, e.g. Individual Appointment Cancelled."),
  steps: z.number().int(),
  updatedAt: z.string().nullable(),
  /** Why the engine paused it (e.g. the connection's key was rejected). */
  pausedReason: z.string().nullable().optional(),
  hasDraft: z.boolean().describe("It holds a draft: a definition kept when switching it on was refused, never run."),
  /** In the list only: how its runs have gone (the last one, and how many failed). */
  health: z
    .object({
      lastRun: z.object({ id: z.string(), status: z.enum(RUN_STATUSES), at: z.string().nullable() }).nullable(),
      runs: z.number().int(),
      succeeded: z.number().int(),
      filtered: z.number().int().describe("Runs a filter step stopped: neither a success nor a failure."),
      failed: z.number().int().describe("Runs failed or of unknown outcome."),
    })
    .optional(),
});
export const WorkflowView = WorkflowSummary.extend({
  definition: WorkflowSchema.describe("The current version's definition: what runs when it is switched on."),
  draft: z
    .object({ definition: WorkflowSchema, savedAt: z.string() })
    .nullable()
    .describe("The definition as last typed when saving or switching it on was refused; never run."),
});
export const WorkflowVersionView = z.object({
  version: z.number().int(),
  createdAt: z.string().nullable(),
  definition: WorkflowSchema,
});

export const WorkflowCreateBody = z.strictObject({ definition: WorkflowSchema, enabled: z.boolean().optional() });

// ── templates ────────────────────────────────────────────────────────────────────────────────────

export const TemplateView = z.object({
  name: z.string().describe("What `workflows import --template` and the import route take."),
  title: z.string(),
  description: z.string(),
  notes: z.string().describe("Setup notes: what it does and which settings it reads."),
  trigger: z.string(),
  settings: z.array(z.string()).describe("The FLOW_* settings it reads; set them before switching it on."),
});
export const TemplateImportBody = z
  .strictObject({
    connection: z
      .string()
      .min(1)
      .optional()
      .describe("The connection its trigger and Cliniko steps use (default: the first connection)."),
  })
  .optional();
export const WorkflowUpdateBody = z.strictObject({
  definition: WorkflowSchema,
  enabled: z
    .boolean()
    .optional()
    .describe("true: switch it on with this definition; false: save it switched off; omitted: keep its switch."),
});
/** Any value: reporting what is wrong with it is the route's job. */
export const WorkflowValidateBody = z.strictObject({ definition: z.unknown() });
export const ValidationResult = z.object({
  valid: z.boolean(),
  errors: z.array(Issue),
  /** What keeps a valid definition from being switched on (it may still be saved as a draft). */
  problems: z.array(Issue),
});
export const EnableBody = z.strictObject({ since: z.iso.datetime({ offset: true }).optional() }).optional();

export const StepTestResult = z.object({
  ok: z.boolean(),
  /** The step's input after `{{ }}` references were resolved. */
  input: z.unknown(),
  output: z.unknown().optional(),
  error: z.string().optional(),
  details: z
    .unknown()
    .optional()
    .describe("What the error's sentence leaves out (a 422's field list, a response body)."),
  skipped: z.boolean().optional(),
  durationMs: z.number().int(),
});
export const WorkflowTestBody = z.strictObject({
  definition: WorkflowSchema,
  trigger: z.unknown().optional(),
  live: z.boolean().optional(),
});
export const WorkflowTestResult = z.object({
  ok: z.boolean(),
  trigger: z.unknown(),
  steps: z.array(StepTestResult.extend({ stepId: z.string() })),
});
export const StepTestBody = z.strictObject({
  step: StepSchema,
  connection: z.string().optional(),
  context: z
    .strictObject({ trigger: z.unknown().optional(), steps: z.record(z.string(), z.unknown()).optional() })
    .optional(),
});

// ── webhooks ─────────────────────────────────────────────────────────────────────────────────────

export const WebhookPath = z.object({ path: z.string() });
export const HookParams = z.strictObject({ token: z.string().min(1).max(64) });
export const HookAccepted = z.object({
  runId: z.string(),
  /** True when this post repeated an earlier one's idempotency key: no new run was queued. */
  duplicate: z.boolean().optional(),
});

// ── runs ─────────────────────────────────────────────────────────────────────────────────────────

export const RunStatus = z.enum(RUN_STATUSES);
export const StepStatus = z.enum(STEP_STATUSES);

export const EventSummaryView = z
  .object({ who: z.string().nullable(), when: z.string().nullable(), what: z.string().nullable() })
  .describe("What the event is about: a name, a time, a number (null when the event keeps no payload).");
export const RunSummary = z.object({
  id: z.string(),
  workflow: z.string(),
  workflowId: z.string().nullable(),
  trigger: z.string(),
  triggerTitle: z.string(),
  event: EventSummaryView.nullable(),
  eventKey: z.string().nullable(),
  status: RunStatus,
  failure: z.boolean().describe("The run failed or its outcome is unknown: it needs a look (a filtered run does not)."),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  durationMs: z.number().int().nullable(),
  error: z.string().nullable().optional(),
  dataNotKept: z
    .string()
    .nullable()
    .describe("Set when the run's trigger event and step data were not kept (metadata-only workflow, or erased)."),
});
export const StepResultView = z.object({
  stepId: z.string(),
  status: StepStatus,
  input: z.unknown(),
  output: z.unknown(),
  error: z.string().nullable(),
  details: z
    .unknown()
    .describe(
      "What the error's sentence leaves out (a 422's field list, a response body); null when none or not kept.",
    ),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  durationMs: z.number().int().nullable(),
});
export const ReplayVersion = z
  .enum(REPLAY_VERSIONS)
  .describe("ran: the workflow version the run used; current: the workflow as it is now.");
export const ReplayChoice = z.object({
  defaultVersion: ReplayVersion.describe("What a replay uses when no version is given."),
  reason: z.string(),
  currentVersion: z.number().int(),
});
export const RunView = RunSummary.extend({
  payload: z.unknown().describe("The trigger event."),
  details: z
    .unknown()
    .describe(
      "What the error's sentence leaves out (a 422's field list, a response body); null when none or not kept.",
    ),
  version: z.number().int().nullable(),
  steps: z.array(StepResultView),
  replay: ReplayChoice.describe("Which version a replay of this run uses by default, and why."),
  /** Steps that wrote elsewhere (sent an email, created a record) and would do it again on a replay from the start. */
  resends: z.array(z.object({ stepId: z.string(), title: z.string() })),
  /** The replays started from this run, newest first. */
  replays: z.array(z.object({ id: z.string(), status: RunStatus })),
});
export const ReplayResult = RunSummary.extend({
  replayedOn: z.object({ version: ReplayVersion, workflowVersion: z.number().int(), reason: z.string() }),
});
export const PatientParams = z.strictObject({
  patientId: z.string().regex(/^\d+$/, "must be a Cliniko patient id (digits)"),
});
export const PatientRunsExport = z.object({
  patientId: z.string(),
  runs: z.array(RunView.omit({ replay: true, resends: true, replays: true })),
});
export const PatientErased = z.object({
  erased: z.number().int().describe("Runs erased with their step records."),
  inProgress: z.number().int().describe("Runs left because they are still queued or running: erase again later."),
});
export const RunsQuery = z.strictObject({
  workflow: z.string().optional().describe("Workflow name or id."),
  status: RunStatus.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export const ReplayBody = z
  .strictObject({
    from: z.enum(["failed", "start"]).optional(),
    version: ReplayVersion.optional().describe(
      "Default: current when the step the run failed on has been changed since, else the version it ran.",
    ),
  })
  .optional();

// ── demo clinic ──────────────────────────────────────────────────────────────────────────────────

export const DemoInfo = z.object({
  demo: z.boolean(),
  /** The sandbox's `/v1` base URL (demo mode only). */
  sandboxUrl: z.string().optional(),
  /** Rows per collection: patients, individual_appointments, invoices, medical_alerts. */
  counts: z.record(z.string(), z.number().int()).optional(),
});
export const DemoChange = z.object({
  action: z.string(),
  /** The sandbox collection, e.g. `patients`. */
  resource: z.string(),
  id: z.string(),
  /** One line for people, e.g. "Added patient Maeve Thornbury." */
  description: z.string(),
});
export const DemoPatientBody = z
  .strictObject({ firstName: z.string().max(60).optional(), lastName: z.string().max(60).optional() })
  .optional();

// ── operations ───────────────────────────────────────────────────────────────────────────────────

export const Health = z.object({
  ok: z.boolean(),
  version: z.string().optional(),
  message: z.string().optional(),
  /** Distributed mode only: "ok" when Redis answers. */
  redis: z.string().optional(),
});
