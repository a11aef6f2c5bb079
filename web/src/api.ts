/**
 * The typed client of cliniko-flow's HTTP API. Every page talks to the server through this
 * module only; the request and response types are inferred from the server's own zod schemas
 * (`src/server/wire.ts`).
 */
import type {
  ApiErrorBody,
  CatalogAction,
  CatalogTrigger,
  ConnectionInput,
  ConnectionKindView,
  ConnectionTestResult,
  ConnectionUpdate,
  ConnectionView,
  CreatedToken,
  DemoChange,
  DemoInfo,
  DemoPatientInput,
  RecordChoice,
  ReplayResult,
  ReplayVersion,
  RunStatus,
  RunSummary,
  RunView,
  SessionView,
  SettingsView,
  SettingView,
  StepTestResult,
  TemplateView,
  TokenView,
  TriggerSample,
  ValidationResult,
  WorkflowDefinition,
  WorkflowStep,
  WorkflowSummary,
  WorkflowTestResult,
  WorkflowVersionView,
  WorkflowView,
} from "../../src/server/wire.ts";

export type * from "../../src/server/wire.ts";

export class ApiError extends Error {
  override name = "ApiError";
  status: number;
  code: string;
  details: NonNullable<ApiErrorBody["details"]>;
  /** A refused save or switch-on of a workflow: the definition sent was kept as its draft. */
  draftKept: boolean;
  constructor(status: number, body: Partial<ApiErrorBody>) {
    super(body.message ?? `Request failed with status ${status}`);
    this.status = status;
    this.code = body.error ?? "error";
    this.details = body.details ?? [];
    this.draftKept = body.draftKept === true;
  }
}

/** Pages subscribe to learn that the session ended (401 on any call) and show the login form. */
const unauthorizedListeners = new Set<() => void>();
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {
    accept: "application/json",
    // The server refuses cookie-authenticated writes without this header (CSRF defence).
    "x-cliniko-flow": "1",
  };
  if (body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(`/api${path}`, {
      method,
      headers,
      credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, { error: "network", message: "The server could not be reached. Is cliniko-flow running?" });
  }
  const text = await res.text();
  const data = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    if (res.status === 401 && path !== "/login") for (const l of unauthorizedListeners) l();
    throw new ApiError(res.status, (data ?? {}) as Partial<ApiErrorBody>);
  }
  return data as T;
}

const q = (params: Record<string, string | number | undefined>) => {
  const s = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") s.set(k, String(v));
  const text = s.toString();
  return text ? `?${text}` : "";
};
const enc = encodeURIComponent;

export const api = {
  login: (password: string) => call<{ ok: boolean }>("POST", "/login", { password }),
  logout: () => call<{ ok: boolean }>("POST", "/logout", {}),
  session: () => call<SessionView>("GET", "/session"),

  connections: {
    list: () => call<ConnectionView[]>("GET", "/connections"),
    create: (input: ConnectionInput) => call<ConnectionView>("POST", "/connections", input),
    test: (id: string) => call<ConnectionTestResult>("POST", `/connections/${enc(id)}/test`, {}),
    remove: (id: string) => call<void>("DELETE", `/connections/${enc(id)}`),
    /** Changes a connection; a secret left blank keeps its stored value. */
    update: (id: string, input: ConnectionUpdate) => call<ConnectionView>("PUT", `/connections/${enc(id)}`, input),
    /** A resource's records by name, for the pickers of fields marked x-pick-from. */
    records: (id: string, resource: string) =>
      call<RecordChoice[]>("GET", `/connections/${enc(id)}/records/${enc(resource)}`),
    /** The app kinds a connection can be, each with its settings schema (secrets writeOnly). */
    kinds: () => call<ConnectionKindView[]>("GET", "/connection-kinds"),
  },

  catalog: {
    actions: () => call<CatalogAction[]>("GET", "/catalog/actions"),
    triggers: () => call<CatalogTrigger[]>("GET", "/catalog/triggers"),
  },

  templates: {
    list: () => call<TemplateView[]>("GET", "/templates"),
    use: (name: string, connection?: string) =>
      call<WorkflowView>("POST", `/templates/${enc(name)}/import`, connection ? { connection } : {}),
  },
  workflows: {
    list: () => call<WorkflowSummary[]>("GET", "/workflows"),
    get: (id: string) => call<WorkflowView>("GET", `/workflows/${enc(id)}`),
    create: (definition: WorkflowDefinition) => call<WorkflowView>("POST", "/workflows", { definition }),
    /** `enabled` true switches it on with this definition; refused, the server keeps it as the draft. */
    update: (id: string, definition: WorkflowDefinition, enabled?: boolean) =>
      call<WorkflowView>("PUT", `/workflows/${enc(id)}`, { definition, enabled }),
    discardDraft: (id: string) => call<void>("DELETE", `/workflows/${enc(id)}/draft`),
    remove: (id: string) => call<void>("DELETE", `/workflows/${enc(id)}`),
    validate: (definition: WorkflowDefinition) => call<ValidationResult>("POST", "/workflows/validate", { definition }),
    enable: (id: string) => call<WorkflowView>("POST", `/workflows/${enc(id)}/enable`, {}),
    disable: (id: string) => call<WorkflowView>("POST", `/workflows/${enc(id)}/disable`, {}),
    versions: (id: string) => call<WorkflowVersionView[]>("GET", `/workflows/${enc(id)}/versions`),
    /** The inbound webhook's path (`/hooks/<token>`) of a workflow saved with the webhook trigger. */
    webhook: (id: string) => call<{ path: string }>("GET", `/workflows/${enc(id)}/webhook`),
    rotateWebhook: (id: string) => call<{ path: string }>("POST", `/workflows/${enc(id)}/webhook/rotate`, {}),
    /** Runs the whole workflow once on a sample or live trigger payload, without storing a run. */
    test: (definition: WorkflowDefinition, options: { trigger?: unknown; live?: boolean } = {}) =>
      call<WorkflowTestResult>("POST", "/workflows/test", { definition, ...options }),
  },

  /** Runs one step for real against its connection, with earlier outputs as `{{ }}` context. */
  testStep: (input: {
    step: WorkflowStep;
    connection?: string;
    context: { trigger: unknown; steps: Record<string, unknown> };
  }) => call<StepTestResult>("POST", "/steps/test", input),

  /** A trigger's sample payload; `live` fetches the newest matching record from the connection. */
  triggerSample: (key: string, options: { connection?: string; live?: boolean } = {}) =>
    call<TriggerSample>(
      "GET",
      `/catalog/triggers/${enc(key)}/sample${q({ connection: options.connection, live: options.live ? 1 : undefined })}`,
    ),

  runs: {
    list: (filter: { workflow?: string; status?: RunStatus; limit?: number } = {}) =>
      call<RunSummary[]>("GET", `/runs${q(filter)}`),
    get: (id: string) => call<RunView>("GET", `/runs/${enc(id)}`),
    replay: (id: string, from: "failed" | "start" = "failed", version?: ReplayVersion) =>
      call<ReplayResult>("POST", `/runs/${enc(id)}/replay`, { from, version }),
  },

  /** `serve --demo` only: the sandbox clinic, and changes in it (add a patient…) that triggers see. */
  demo: {
    info: () => call<DemoInfo>("GET", "/demo"),
    act: (action: string, input: DemoPatientInput = {}) => call<DemoChange>("POST", `/demo/${enc(action)}`, input),
  },

  /** Settings templates read as `env.FLOW_…`; a secret is written, never read back. */
  settings: {
    list: () => call<SettingsView>("GET", "/settings"),
    set: (name: string, value: string, secret: boolean) =>
      call<SettingView>("PUT", `/settings/${enc(name)}`, { value, secret }),
    remove: (name: string) => call<void>("DELETE", `/settings/${enc(name)}`),
  },

  tokens: {
    list: () => call<TokenView[]>("GET", "/tokens"),
    create: (body: { name: string; scope?: TokenView["scope"]; expiresAt?: string }) =>
      call<CreatedToken>("POST", "/tokens", body),
    remove: (id: string) => call<void>("DELETE", `/tokens/${enc(id)}`),
  },
};
