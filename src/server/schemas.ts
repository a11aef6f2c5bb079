/**
 * JSON Schema builders for route definitions. The same objects validate requests (Fastify/ajv),
 * shape responses (fast-json-stringify drops undeclared fields, so a secret cannot slip into a
 * response by accident) and feed the OpenAPI document.
 */
export type Schema = Record<string, unknown>;

export const str = (extra: Schema = {}): Schema => ({ type: "string", ...extra });
export const int = (extra: Schema = {}): Schema => ({ type: "integer", ...extra });
export const bool = (extra: Schema = {}): Schema => ({ type: "boolean", ...extra });
export const nullable = (s: Schema): Schema => ({ ...s, type: [s.type as string, "null"] });
/** Any JSON value (payloads, step inputs and outputs). */
export const any = (description?: string): Schema => (description ? { description } : {});
export const arr = (items: Schema): Schema => ({ type: "array", items });
export const obj = (properties: Record<string, Schema>, required: string[] = [], extra: Schema = {}): Schema => ({
  type: "object",
  properties,
  required,
  additionalProperties: false,
  ...extra,
});
/** An object whose other properties are kept as they are (workflow definitions). */
export const openObj = (properties: Record<string, Schema>, required: string[] = []): Schema => ({
  type: "object",
  properties,
  required,
  additionalProperties: true,
});

export const issue = obj({ path: str(), message: str() }, ["path", "message"]);

export const errorBody = obj(
  { statusCode: int(), error: str(), message: str(), details: arr(issue) },
  ["statusCode", "error", "message"],
  { description: "Every error: one JSON shape with a clear message." },
);

export const idParams = obj({ id: str({ minLength: 1 }) }, ["id"]);

export const connectionView = obj(
  {
    id: str({ description: "The connection's name (connections are addressed by name)." }),
    name: str(),
    email: str(),
    region: nullable(str()),
    baseUrl: nullable(str()),
    createdAt: nullable(str()),
  },
  ["id", "name", "email", "region", "baseUrl", "createdAt"],
  { description: "A Cliniko connection. The API key is write-only: no response ever contains it." },
);

export const workflowDefinition = openObj(
  {
    name: str({ minLength: 1 }),
    trigger: openObj({ key: str(), connection: str(), every: str() }, ["key"]),
    steps: arr(openObj({ id: str(), action: str(), connection: str(), if: str(), input: any() }, ["id", "action"])),
  },
  ["name", "trigger"],
);

const workflowSummaryProps = {
  id: str(),
  name: str(),
  enabled: bool(),
  version: int(),
  trigger: str(),
  steps: int(),
  updatedAt: nullable(str()),
  pausedReason: nullable(str()),
};
export const workflowSummary = obj(workflowSummaryProps, ["id", "name", "enabled", "version", "trigger", "steps"]);
export const workflowView = obj({ ...workflowSummaryProps, definition: any() }, [
  "id",
  "name",
  "enabled",
  "version",
  "definition",
]);

const runSummaryProps = {
  id: str(),
  workflow: str(),
  workflowId: nullable(str()),
  trigger: str(),
  eventKey: nullable(str()),
  status: str({ enum: ["queued", "running", "succeeded", "failed", "unknown"] }),
  startedAt: nullable(str()),
  finishedAt: nullable(str()),
  durationMs: nullable(int()),
  error: nullable(str()),
};
export const runSummary = obj(runSummaryProps, ["id", "workflow", "trigger", "status", "startedAt", "finishedAt"]);
export const stepResult = obj(
  {
    stepId: str(),
    status: str(),
    input: any(),
    output: any(),
    error: nullable(str()),
    startedAt: nullable(str()),
    finishedAt: nullable(str()),
    durationMs: nullable(int()),
  },
  ["stepId", "status"],
);
export const runView = obj(
  { ...runSummaryProps, payload: any("The trigger event."), version: nullable(int()), steps: arr(stepResult) },
  ["id", "workflow", "status", "steps"],
);

export const stepTestResult = obj(
  { ok: bool(), input: any(), output: any(), error: str(), skipped: bool(), durationMs: int() },
  ["ok", "durationMs"],
);

export const tokenView = obj({ id: str(), name: str(), createdAt: str(), lastUsedAt: nullable(str()) }, [
  "id",
  "name",
  "createdAt",
]);

export const okBody = obj({ ok: bool() }, ["ok"]);
