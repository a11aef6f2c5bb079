/**
 * The HTTP API's response shapes, shared by the server and the web client (`web/src/api.ts`
 * imports these as types only, so the browser bundle carries none of the server's code).
 */

/** Every error response: one shape, one sentence in `message`. */
export interface ApiErrorBody {
  statusCode: number;
  /** Machine-readable code, e.g. `validation_failed`, `not_found`, `unauthorized`. */
  error: string;
  message: string;
  /** Field-level problems (request validation, workflow validation, Cliniko 422s). */
  details?: { path: string; message: string }[];
}

/** A Cliniko connection as the API shows it. The API key is write-only and never returned. */
export interface ConnectionView {
  id: string;
  name: string;
  email: string;
  region: string | null;
  baseUrl: string | null;
  createdAt: string | null;
}

export interface ConnectionTestResult {
  ok: boolean;
  /** The Cliniko user the key belongs to, when the test succeeded. */
  user?: { id?: string; name: string; email?: string };
  message?: string;
}

export interface JsonSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  format?: string;
  default?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  [key: string]: unknown;
}

export interface CatalogAction {
  key: string;
  title: string;
  group: string;
  kind: string;
  description: string;
  method?: string;
  path?: string;
  documented?: boolean;
  inputSchema: JsonSchema;
  outputSample?: unknown;
  /** True for the engine's built-in steps (filter, branch, http.request, delay). */
  builtin?: boolean;
}

export interface CatalogTrigger {
  key: string;
  title: string;
  group: string;
  kind: string;
  description: string;
  resource?: string;
  event?: string;
  inputSchema?: JsonSchema;
  sample?: unknown;
  builtin?: boolean;
}

export interface WorkflowStep {
  id: string;
  action: string;
  connection?: string;
  if?: string;
  input?: Record<string, unknown>;
  [key: string]: unknown;
}

/** The workflow file's shape (YAML/JSON), as the engine validates it. */
export interface WorkflowDefinition {
  name: string;
  trigger: { key: string; connection?: string; every?: string; [key: string]: unknown };
  steps: WorkflowStep[];
  [key: string]: unknown;
}

export interface WorkflowSummary {
  id: string;
  name: string;
  enabled: boolean;
  version: number;
  trigger: string;
  steps: number;
  updatedAt: string | null;
  /** Why the engine paused it (e.g. the connection's key was rejected). */
  pausedReason?: string | null;
}

export interface WorkflowView extends WorkflowSummary {
  definition: WorkflowDefinition;
}

export interface WorkflowVersionView {
  version: number;
  createdAt: string | null;
  definition: WorkflowDefinition;
}

export interface ValidationResult {
  valid: boolean;
  errors: { path: string; message: string }[];
}

export type RunStatus = "queued" | "running" | "succeeded" | "failed" | "unknown" | string;

export interface RunSummary {
  id: string;
  workflow: string;
  workflowId: string | null;
  trigger: string;
  eventKey: string | null;
  status: RunStatus;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
  error?: string | null;
}

export interface StepResultView {
  stepId: string;
  status: string;
  input: unknown;
  output: unknown;
  error: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
}

export interface RunView extends RunSummary {
  payload: unknown;
  version: number | null;
  steps: StepResultView[];
}

export interface StepTestResult {
  ok: boolean;
  /** The step's input after `{{ }}` references were resolved. */
  input: unknown;
  output?: unknown;
  error?: string;
  skipped?: boolean;
  durationMs: number;
}

export interface WorkflowTestResult {
  ok: boolean;
  trigger: unknown;
  steps: (StepTestResult & { stepId: string })[];
}

export interface TokenView {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

/** `GET /api/demo`: whether `serve --demo` runs, and what is in its sandbox clinic. */
export interface DemoInfo {
  demo: boolean;
  /** The sandbox's `/v1` base URL (demo mode only). */
  sandboxUrl?: string;
  /** Rows per collection: patients, individual_appointments, invoices, medical_alerts. */
  counts?: Record<string, number>;
}

/** What one Demo clinic action changed in the sandbox. */
export interface DemoChange {
  action: string;
  /** The sandbox collection, e.g. `patients`. */
  resource: string;
  id: string;
  /** One line for people, e.g. "Added patient Maeve Thornbury." */
  description: string;
}
