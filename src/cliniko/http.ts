/**
 * The one request pipeline to Cliniko, on global `fetch`: builds the URL (only on the connection's
 * own origin), adds auth and identification headers, paces through the key's rate limiter, maps
 * answers to typed errors and retries only where a repeat cannot do harm.
 *
 * Retry rules: GET/PUT/PATCH/DELETE are retried on 429, 5xx and network errors (including
 * timeouts). A POST creates or archives something, so it is retried only when it certainly did not
 * reach Cliniko: connection refused, or a 429 (Cliniko refused it before doing anything). A POST
 * that timed out, lost its connection or got a 5xx surfaces `maybeSent: true` instead.
 */
import {
  ClinikoAuthError,
  ClinikoConfigError,
  type ClinikoError,
  ClinikoForbiddenError,
  ClinikoHttpError,
  ClinikoNetworkError,
  ClinikoNotFoundError,
  ClinikoRateLimitError,
  ClinikoServerError,
  ClinikoValidationError,
  pathOnly,
  scrubSecret,
} from "./errors.ts";
import { encodeQuery } from "./query.ts";
import type { Clock, RateLimiter } from "./rate-limit.ts";
import type { ClinikoResponse, HttpMethod, QueryValue } from "./types.ts";

export interface RetryOptions {
  /** Extra attempts after the first (default 3). */
  retries?: number;
  /** First backoff delay in ms (default 500); doubles each attempt, with jitter. */
  baseDelayMs?: number;
  /** Ceiling of one backoff delay in ms (default 30 000). */
  maxDelayMs?: number;
}

export interface PipelineOptions {
  baseUrl: string;
  apiKey: string;
  email: string;
  timeoutMs: number;
  retry: Required<RetryOptions>;
  limiter: RateLimiter;
  clock: Clock;
  logger?: { debug(obj: object, msg?: string): void };
  /** Random source for jitter (tests may pin it). */
  random?: () => number;
}

/** A request whose query is already encoded (the client validates filters before this point). */
export interface WireRequest {
  method: HttpMethod;
  /** Path below the base URL, or an absolute URL on the base URL's origin. */
  path: string;
  query?: Record<string, QueryValue>;
  q?: string[];
  sort?: string;
  body?: unknown;
  signal?: AbortSignal;
}

export type Send = <T = unknown>(request: WireRequest) => Promise<ClinikoResponse<T>>;

/** Without a Reset header Cliniko's window is a minute: wait that long. */
const DEFAULT_RESET_MS = 60_000;
const DETAIL_MAX = 2000;

/** Builds the absolute URL, refusing absolute URLs on another origin (credentials stay home). */
export function resolveUrl(baseUrl: string, request: Pick<WireRequest, "path" | "query" | "q" | "sort">): URL {
  const base = new URL(baseUrl);
  let url: URL;
  if (/^[a-z][a-z0-9+.-]*:/i.test(request.path)) {
    try {
      url = new URL(request.path);
    } catch {
      throw new ClinikoConfigError("The Cliniko link to follow is not a valid URL.");
    }
    if (url.origin !== base.origin) {
      throw new ClinikoConfigError(
        `Refusing to send the Cliniko API key to ${url.origin}, which is not this connection's API host (${base.origin}).`,
        { path: url.pathname },
      );
    }
  } else {
    if (!request.path.startsWith("/")) {
      throw new ClinikoConfigError(`A Cliniko path must start with "/", not "${pathOnly(request.path)}".`);
    }
    url = new URL(`${baseUrl}${request.path}`);
  }
  const extra = encodeQuery(request.query, request.q, request.sort);
  if (extra) url.search = url.search ? `${url.search}&${extra}` : `?${extra}`;
  return url;
}

/**
 * Cliniko's window is a minute, so a reset further away than this means our clock and Cliniko's
 * disagree; waiting longer would stall every workflow on the key for nothing.
 */
const MAX_RESET_WAIT_MS = 2 * 60_000;

/** When a 429 lifts: `X-RateLimit-Reset` (Unix seconds), else `Retry-After` (seconds), else a minute. */
export function rateLimitReset(headers: Headers, now: number): number {
  const reset = Number(headers.get("x-ratelimit-reset"));
  if (headers.get("x-ratelimit-reset") && Number.isFinite(reset) && reset > 0) {
    // Seconds per Cliniko; a value already in milliseconds is accepted rather than read as year 50000.
    return Math.min(reset > 1e12 ? reset : reset * 1000, now + MAX_RESET_WAIT_MS);
  }
  const after = Number(headers.get("retry-after"));
  if (headers.get("retry-after") && Number.isFinite(after) && after >= 0) return now + after * 1000;
  return now + DEFAULT_RESET_MS;
}

function connectionRefused(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string; errors?: { code?: string }[] } })?.cause;
  if (!cause) return false;
  if (cause.code === "ECONNREFUSED") return true;
  return Array.isArray(cause.errors) && cause.errors.length > 0 && cause.errors.every((e) => e.code === "ECONNREFUSED");
}

async function readBody(response: Response): Promise<{ json?: unknown; text: string }> {
  const text = await response.text();
  if (text.trim() === "") return { text };
  try {
    return { json: JSON.parse(text), text };
  } catch {
    return { text };
  }
}

function isRetriable(method: HttpMethod, error: ClinikoError): boolean {
  if (error.code === "rate_limited") return true;
  if (method === "POST") return error.code === "network" && !error.maybeSent;
  return error.code === "server" || error.code === "network" || error.code === "timeout";
}

export function createPipeline(options: PipelineOptions): Send {
  const { apiKey, clock, limiter, retry } = options;
  const random = options.random ?? Math.random;
  const headers: Record<string, string> = {
    Authorization: `Basic ${Buffer.from(`${apiKey}:`).toString("base64")}`,
    "User-Agent": `cliniko-flow (${options.email})`,
    Accept: "application/json",
  };

  function errorFor(status: number, method: HttpMethod, url: URL, res: Response, body: unknown, text: string) {
    const init = { method, path: url.pathname, status, detail: scrubSecret(body ?? clip(text), apiKey) };
    if (status === 401) return new ClinikoAuthError(init);
    if (status === 403) return new ClinikoForbiddenError(init);
    if (status === 404) return new ClinikoNotFoundError(init);
    if (status === 422) return new ClinikoValidationError(init);
    if (status === 429)
      return new ClinikoRateLimitError({ ...init, resetAt: new Date(rateLimitReset(res.headers, clock.now())) });
    if (status >= 500) return new ClinikoServerError(init);
    return new ClinikoHttpError(init);
  }

  async function attempt<T>(request: WireRequest, url: URL): Promise<ClinikoResponse<T>> {
    const { method } = request;
    await limiter.acquire(request.signal);
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const started = clock.now();
    let response: Response;
    let parsed: { json?: unknown; text: string };
    try {
      const init: RequestInit = {
        method,
        headers: request.body === undefined ? headers : { ...headers, "Content-Type": "application/json" },
        signal,
        // Never follow redirects: a redirect could carry the Authorization header elsewhere.
        redirect: "manual",
      };
      if (request.body !== undefined) init.body = JSON.stringify(request.body);
      response = await fetch(url, init);
      parsed = await readBody(response);
    } catch (err) {
      if (request.signal?.aborted) throw request.signal.reason;
      const timedOut = timeout.aborted;
      const refused = !timedOut && connectionRefused(err);
      options.logger?.debug(
        { method, path: url.pathname, error: timedOut ? "timeout" : refused ? "refused" : "network" },
        "cliniko request failed",
      );
      throw new ClinikoNetworkError({
        method,
        path: url.pathname,
        timeout: timedOut,
        timeoutMs: options.timeoutMs,
        maybeSent: !refused,
        detail: timedOut ? undefined : scrubSecret(errorText(err), apiKey),
        cause: timedOut ? undefined : err,
      });
    }
    const { status } = response;
    options.logger?.debug({ method, path: url.pathname, status, ms: clock.now() - started }, "cliniko request");
    if (status >= 200 && status < 300) {
      if (parsed.json === undefined && parsed.text.trim() !== "") {
        throw new ClinikoHttpError({
          method,
          path: url.pathname,
          status,
          reason: "Cliniko sent an answer that is not JSON, so it could not be read.",
          detail: scrubSecret(clip(parsed.text), apiKey),
        });
      }
      return { status, headers: response.headers, body: parsed.json as T };
    }
    const error = errorFor(status, method, url, response, parsed.json, parsed.text);
    if (error instanceof ClinikoRateLimitError) await limiter.blockUntil(error.resetAt.getTime());
    throw error;
  }

  return async function send<T>(request: WireRequest): Promise<ClinikoResponse<T>> {
    const url = resolveUrl(options.baseUrl, request);
    for (let n = 0; ; n++) {
      try {
        return await attempt<T>(request, url);
      } catch (err) {
        const error = err as ClinikoError;
        if (
          n >= retry.retries ||
          !(error instanceof Error) ||
          !("code" in error) ||
          !isRetriable(request.method, error)
        ) {
          throw err;
        }
        // A 429 already holds the limiter until the reset; backoff is for 5xx and network trouble.
        if (error.code !== "rate_limited") {
          const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** n);
          await clock.sleep(Math.round(ceiling / 2 + (random() * ceiling) / 2));
        }
        options.logger?.debug(
          { method: request.method, path: url.pathname, retry: n + 1, code: error.code },
          "cliniko retry",
        );
      }
    }
  };
}

function clip(text: string): string | undefined {
  const t = text.trim();
  if (!t) return undefined;
  return t.length > DETAIL_MAX ? `${t.slice(0, DETAIL_MAX)}…` : t;
}

function errorText(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  return [e?.message, e?.cause?.code ?? e?.cause?.message].filter(Boolean).join(": ");
}
