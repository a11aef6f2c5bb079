/**
 * Error mapping: turns what the transport got — a status and text, or no answer at all — into
 * parsed JSON or a typed `ClinikoError` with one clear sentence. The API key is scrubbed from
 * every detail, and only the path (never the query string) names the failed call.
 */
import { refusalIn } from "../../net/outbound.ts";
import {
  ClinikoAuthError,
  ClinikoBaseUrlError,
  ClinikoForbiddenError,
  ClinikoHttpError,
  ClinikoNetworkError,
  ClinikoNotFoundError,
  ClinikoRateLimitError,
  ClinikoServerError,
  ClinikoValidationError,
  scrubSecret,
} from "../errors.ts";
import type { Clock } from "../rate-limit.ts";
import type { ClinikoResponse, HttpMethod } from "../types.ts";
import { type DebugLogger, type Handler, type RawHandler, TransportError } from "./types.ts";

/** Without a Reset header Cliniko's window is a minute: wait that long. */
const DEFAULT_RESET_MS = 60_000;
const DETAIL_MAX = 2000;

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

function clip(text: string): string | undefined {
  const t = text.trim();
  if (!t) return undefined;
  return t.length > DETAIL_MAX ? `${t.slice(0, DETAIL_MAX)}…` : t;
}

function parseJson(text: string): unknown {
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorText(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  return [e?.message, e?.cause?.code ?? e?.cause?.message].filter(Boolean).join(": ");
}

export function mapErrors(options: {
  apiKey: string;
  timeoutMs: number;
  clock: Clock;
  logger?: DebugLogger;
}): (next: RawHandler) => Handler {
  const { apiKey, clock } = options;

  function errorFor(status: number, method: HttpMethod, url: URL, headers: Headers, body: unknown, text: string) {
    const init = { method, path: url.pathname, status, detail: scrubSecret(body ?? clip(text), apiKey) };
    if (status === 401) return new ClinikoAuthError(init);
    if (status === 403) return new ClinikoForbiddenError(init);
    if (status === 404) return new ClinikoNotFoundError(init);
    if (status === 422) return new ClinikoValidationError(init);
    if (status === 429)
      return new ClinikoRateLimitError({ ...init, resetAt: new Date(rateLimitReset(headers, clock.now())) });
    if (status >= 500) return new ClinikoServerError(init);
    return new ClinikoHttpError(init);
  }

  return (next) =>
    async function mapped<T>(request: Parameters<RawHandler>[0]): Promise<ClinikoResponse<T>> {
      const { method, url } = request;
      const started = clock.now();
      let raw: Awaited<ReturnType<RawHandler>>;
      try {
        raw = await next(request);
      } catch (err) {
        if (!(err instanceof TransportError)) throw err;
        const cause = err.cause;
        // Refused by the address policy: nothing was sent, and trying again cannot help.
        const refused = refusalIn(cause);
        if (refused)
          throw new ClinikoBaseUrlError(`Cliniko was not called: the address policy ${refused.message}.`, {
            method,
            path: url.pathname,
          });
        options.logger?.debug(
          { method, path: url.pathname, error: err.timedOut ? "timeout" : err.refused ? "refused" : "network" },
          "cliniko request failed",
        );
        throw new ClinikoNetworkError({
          method,
          path: url.pathname,
          timeout: err.timedOut,
          timeoutMs: options.timeoutMs,
          maybeSent: !err.refused,
          detail: err.timedOut ? undefined : scrubSecret(errorText(cause), apiKey),
          cause: err.timedOut ? undefined : cause,
        });
      }
      const { status, headers, text } = raw;
      options.logger?.debug({ method, path: url.pathname, status, ms: clock.now() - started }, "cliniko request");
      const json = parseJson(text);
      if (status >= 200 && status < 300) {
        if (json === undefined && text.trim() !== "") {
          throw new ClinikoHttpError({
            method,
            path: url.pathname,
            status,
            reason: "Cliniko sent an answer that is not JSON, so it could not be read.",
            detail: scrubSecret(clip(text), apiKey),
          });
        }
        return { status, headers, body: json as T };
      }
      throw errorFor(status, method, url, headers, json, text);
    };
}
