/**
 * Typed errors of the Cliniko client. Each message is one sentence a practice manager can act on;
 * `method`/`path` say which call failed (path only: query strings can carry patient data such as
 * an email filter), `detail` carries what Cliniko said. The API key is never part of any of them:
 * the pipeline scrubs response text before it lands in `detail` (see `scrubSecret`).
 */
import { resourceOfPath } from "./resources.ts";

export type ClinikoErrorCode =
  | "auth"
  | "forbidden"
  | "not_found"
  | "validation"
  | "rate_limited"
  | "server"
  | "network"
  | "timeout"
  | "http"
  | "config"
  | "filter"
  | "unsupported";

export interface ClinikoErrorInit {
  method?: string;
  /** A path or URL; only its path is kept. */
  path?: string;
  status?: number;
  detail?: unknown;
  cause?: unknown;
}

/** Keeps the path of a path or absolute URL, dropping the query string and fragment. */
export function pathOnly(pathOrUrl: string | undefined): string {
  if (!pathOrUrl) return "";
  if (/^https?:\/\//i.test(pathOrUrl)) {
    try {
      return new URL(pathOrUrl).pathname;
    } catch {
      return "";
    }
  }
  return pathOrUrl.split(/[?#]/)[0] ?? "";
}

/** What a path is about, for messages: "patient" for `/patients/1`, else "request". */
/**
 * What a failed call was about: the innermost collection of its path, so a refusal of
 * `/businesses/1/practitioners/2/appointment_types/3/available_times` is about the available
 * times, not the business. A collection that is no resource of ours is named by its own words.
 */
function subjectOf(path: string): string {
  const segments = path
    .replace(/^\/v1/, "")
    .split("/")
    .filter((s) => s !== "" && !/^\d+$/.test(s) && !/^\{.*\}$/.test(s));
  const last = segments.at(-1);
  if (!last) return "request";
  // A verb or variant of the record before it (`/patients/1/archive`, `/practitioners/inactive`).
  if (segments.length === 1 || ["archive", "unarchive", "cancel", "active", "inactive"].includes(last))
    return resourceOfPath(path)?.label ?? "request";
  return resourceOfPath(`/${last}`)?.label ?? last.replace(/_/g, " ");
}

/**
 * What a 404 says is missing: the innermost record the path names by id, so a list under an
 * unknown practitioner (`/practitioners/9/appointment_types`) is about the practitioner, not the
 * appointment types; the records it sits under are named too, as they may be the missing one.
 */
function missingOf(path: string): string {
  const segments = path.replace(/^\/v1/, "").split("/").filter(Boolean);
  const named: string[] = [];
  for (let i = 1; i < segments.length; i++) {
    if (!/^\d+$/.test(segments[i]!)) continue;
    const collection = segments[i - 1]!;
    // A collection that is no resource of ours (`/appointments`) is named in the singular.
    named.push(resourceOfPath(`/${collection}`)?.label ?? collection.replace(/_/g, " ").replace(/s$/, ""));
  }
  const innermost = named.pop();
  if (!innermost) return subjectOf(path);
  return named.length === 0 ? innermost : `${innermost} (or its ${named.reverse().join(" or ")})`;
}

export class ClinikoError extends Error {
  override name = "ClinikoError";
  readonly code: ClinikoErrorCode;
  readonly status?: number;
  /** HTTP method of the failed call ("" when no request was built, e.g. a config error). */
  readonly method: string;
  /** Path of the failed call, without query string ("" when no request was built). */
  readonly path: string;
  readonly detail?: unknown;
  /**
   * True when the request may have reached Cliniko and taken effect (timeout, dropped
   * connection, 5xx): a write in this state must not be repeated blindly.
   */
  readonly maybeSent: boolean;

  constructor(code: ClinikoErrorCode, message: string, init: ClinikoErrorInit & { maybeSent?: boolean } = {}) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.code = code;
    this.status = init.status;
    this.method = init.method ?? "";
    this.path = pathOnly(init.path);
    this.detail = init.detail;
    this.maybeSent = init.maybeSent ?? false;
  }

  /** A plain object for logs and API answers (no stack, no cause). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      status: this.status,
      method: this.method,
      path: this.path,
      detail: this.detail,
      maybeSent: this.maybeSent,
    };
  }
}

export class ClinikoAuthError extends ClinikoError {
  override name = "ClinikoAuthError";
  constructor(init: ClinikoErrorInit = {}) {
    super("auth", "Cliniko did not accept the API key; check that it was copied in full and has not been revoked.", {
      ...init,
      status: init.status ?? 401,
    });
  }
}

export class ClinikoForbiddenError extends ClinikoError {
  override name = "ClinikoForbiddenError";
  constructor(init: ClinikoErrorInit = {}) {
    const subject = subjectOf(pathOnly(init.path));
    super(
      "forbidden",
      subject === "request"
        ? "Cliniko refused this request because the API key's user does not have permission for it."
        : `Cliniko refused access to this ${subject} because the API key's user does not have permission for it.`,
      { ...init, status: init.status ?? 403 },
    );
  }
}

export class ClinikoNotFoundError extends ClinikoError {
  override name = "ClinikoNotFoundError";
  constructor(init: ClinikoErrorInit = {}) {
    const path = pathOnly(init.path);
    const subject = missingOf(path);
    super(
      "not_found",
      subject === "request"
        ? `Cliniko has nothing at ${path || "that address"}.`
        : `Cliniko could not find that ${subject} (${path}); it may have been deleted or the id may be wrong.`,
      { ...init, status: init.status ?? 404 },
    );
  }
}

/** Turns Cliniko's `errors` object (values are strings or lists of strings) into field → message. */
export function fieldErrorsOf(body: unknown): Record<string, string> {
  const errors = (body as { errors?: unknown } | undefined)?.errors;
  const out: Record<string, string> = {};
  if (!errors || typeof errors !== "object") return out;
  for (const [field, value] of Object.entries(errors as Record<string, unknown>)) {
    const messages = (Array.isArray(value) ? value : [value]).filter((m) => m !== null && m !== undefined);
    out[field] = messages.map((m) => (typeof m === "string" ? m : JSON.stringify(m))).join(" and ");
  }
  return out;
}

export class ClinikoValidationError extends ClinikoError {
  override name = "ClinikoValidationError";
  readonly fieldErrors: Record<string, string>;
  constructor(init: ClinikoErrorInit = {}) {
    const fieldErrors = fieldErrorsOf(init.detail);
    const subject = subjectOf(pathOnly(init.path));
    // `base` is Cliniko's name for errors about the record as a whole, not a field anyone sent.
    const listed = Object.entries(fieldErrors).map(([field, msg]) => (field === "base" ? msg : `${field} ${msg}`));
    const fallback = (init.detail as { message?: unknown } | undefined)?.message;
    const reason =
      listed.length > 0
        ? listed.join(", ")
        : typeof fallback === "string" && fallback
          ? fallback.replace(/\.$/, "")
          : "the data is not valid";
    super("validation", `Cliniko rejected the ${subject}: ${reason}.`, { ...init, status: init.status ?? 422 });
    this.fieldErrors = fieldErrors;
  }
}

export class ClinikoRateLimitError extends ClinikoError {
  override name = "ClinikoRateLimitError";
  /** When Cliniko accepts requests on this API key again. */
  readonly resetAt: Date;
  constructor(init: ClinikoErrorInit & { resetAt: Date }) {
    super(
      "rate_limited",
      `Cliniko's limit of requests per minute for this API key was reached; requests resume at ${init.resetAt.toISOString()}.`,
      { ...init, status: init.status ?? 429 },
    );
    this.resetAt = init.resetAt;
  }
}

export class ClinikoServerError extends ClinikoError {
  override name = "ClinikoServerError";
  constructor(init: ClinikoErrorInit & { status: number }) {
    super(
      "server",
      `Cliniko had a temporary problem (HTTP ${init.status}) and could not complete the request; try again in a few minutes.`,
      { ...init, maybeSent: true },
    );
  }
}

export class ClinikoNetworkError extends ClinikoError {
  override name = "ClinikoNetworkError";
  /** True when Cliniko did not answer within the request timeout. */
  readonly timeout: boolean;
  constructor(init: ClinikoErrorInit & { timeout: boolean; maybeSent: boolean; timeoutMs?: number }) {
    const seconds = init.timeoutMs === undefined ? undefined : Math.round(init.timeoutMs / 100) / 10;
    // Only a write can leave a change behind; a read that failed half-way changed nothing.
    const unsure = init.maybeSent && init.method !== "GET" ? ", so the change may or may not have been made" : "";
    const message = init.timeout
      ? `Cliniko did not answer within ${seconds ?? "the allowed"} seconds${unsure}.`
      : init.maybeSent
        ? `The connection to Cliniko broke before its answer arrived${unsure}.`
        : "Could not connect to Cliniko; check the network connection and the region or base URL.";
    super(init.timeout ? "timeout" : "network", message, init);
    this.timeout = init.timeout;
  }
}

export class ClinikoHttpError extends ClinikoError {
  override name = "ClinikoHttpError";
  constructor(init: ClinikoErrorInit & { status?: number; reason?: string }) {
    super(
      "http",
      init.reason ??
        `Cliniko refused the request with an unexpected answer (HTTP ${init.status ?? "error"}); the request may not be supported.`,
      init,
    );
  }
}

/** A connection is set up wrongly (key, email, region, base URL, missing parameter). */
export class ClinikoConfigError extends ClinikoError {
  override name = "ClinikoConfigError";
  constructor(message: string, init: ClinikoErrorInit = {}) {
    super("config", message, init);
  }
}

/**
 * The connection's base URL is wrong or points where this server may not connect; `field` names
 * the setting, so a form shows the sentence beside it.
 */
export class ClinikoBaseUrlError extends ClinikoConfigError {
  override name = "ClinikoBaseUrlError";
  readonly field = "baseUrl";
}

/** A `q[]` filter, `sort` or query parameter the endpoint does not accept. */
export class ClinikoFilterError extends ClinikoError {
  override name = "ClinikoFilterError";
  readonly field?: string;
  readonly op?: string;
  /** The fields or operators that would have been accepted. */
  readonly allowed?: string[];
  constructor(message: string, init: ClinikoErrorInit & { field?: string; op?: string; allowed?: string[] } = {}) {
    super("filter", message, init);
    this.field = init.field;
    this.op = init.op;
    this.allowed = init.allowed;
  }
}

/** The API has no operation for what was asked (e.g. archiving an invoice). */
export class ClinikoUnsupportedError extends ClinikoError {
  override name = "ClinikoUnsupportedError";
  constructor(message: string, init: ClinikoErrorInit = {}) {
    super("unsupported", message, init);
  }
}

/** Replaces every occurrence of `secret` (and its Basic-auth form) in a text or JSON value. */
export function scrubSecret<T>(value: T, secret: string): T {
  if (!secret) return value;
  const forms = [secret, Buffer.from(`${secret}:`).toString("base64"), encodeURIComponent(secret)];
  const scrub = (s: string) => forms.reduce((acc, f) => acc.split(f).join("[redacted]"), s);
  if (typeof value === "string") return scrub(value) as T;
  if (value === null || typeof value !== "object") return value;
  const text = JSON.stringify(value);
  const cleaned = scrub(text);
  return (cleaned === text ? value : JSON.parse(cleaned)) as T;
}
