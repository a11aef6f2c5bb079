/**
 * The HTTP call every REST app makes: paced by the connection's limiter, a 429 blocks that
 * limiter for the vendor's Retry-After, and each failure becomes an AppError that says whether
 * retrying may help and whether the request may have reached the vendor. The vendor's own error
 * message is kept (the caller says where it is in the body); the request's headers never are.
 */
import { fetch } from "undici";
import type { RateLimiter } from "../cliniko/rate-limit.ts";
import type { AllowList } from "../net/address-policy.ts";
import { guardedDispatcher, refusalIn } from "../net/outbound.ts";
import { AppError } from "./errors.ts";

export interface AppRequest {
  /** The app's name for messages ("Twilio"). */
  app: string;
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  url: string;
  headers?: Record<string, string>;
  /** JSON (an object), or a form (URLSearchParams). */
  body?: unknown;
  limiter?: RateLimiter;
  /** Where the connection may go (the address policy's exceptions). */
  network: AllowList;
  timeoutMs?: number;
  /** The vendor's error sentence in an error body (its shape differs per vendor). */
  errorMessage?(body: unknown): string | undefined;
}

export interface AppResponse<T = unknown> {
  status: number;
  body: T;
}

const DEFAULT_TIMEOUT_MS = 30_000;
/** When a 429 gives no Retry-After. */
const DEFAULT_RETRY_AFTER_MS = 1000;

export async function appRequest<T = unknown>(req: AppRequest): Promise<AppResponse<T>> {
  await req.limiter?.acquire();
  const headers: Record<string, string> = { accept: "application/json", ...req.headers };
  let body: string | undefined;
  if (req.body instanceof URLSearchParams) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = req.body.toString();
  } else if (req.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(req.body);
  }
  let res: Awaited<ReturnType<typeof fetch>>;
  try {
    res = await fetch(req.url, {
      method: req.method,
      headers,
      body,
      redirect: "error",
      signal: AbortSignal.timeout(req.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      dispatcher: guardedDispatcher(req.network),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const policy = refusalIn(err);
    if (policy)
      throw new AppError(req.app, "config", `${req.app} was not called: the address policy ${policy.message}.`);
    const timeout = e.name === "TimeoutError";
    // A refused connection never carried the request; anything else may have.
    const refused = e.cause?.code === "ECONNREFUSED" || e.cause?.code === "ENOTFOUND";
    throw new AppError(
      req.app,
      timeout ? "timeout" : "network",
      timeout
        ? `${req.app} did not answer in time.`
        : `${req.app} could not be reached (${e.cause?.code ?? e.message}).`,
      { maybeSent: req.method !== "GET" && !refused },
    );
  }
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  if (res.ok) return { status: res.status, body: parsed as T };
  const vendor = req.errorMessage?.(parsed) ?? (typeof parsed === "string" ? parsed.slice(0, 300) : undefined);
  const said = vendor ? `: ${vendor}` : ".";
  if (res.status === 429) {
    const retryAfter = retryAfterMs(res.headers.get("retry-after"));
    await req.limiter?.blockUntil(Date.now() + retryAfter);
    throw new AppError(req.app, "rate_limited", `${req.app} is rate limiting requests (429)${said}`, {
      status: 429,
    });
  }
  if (res.status >= 500)
    throw new AppError(req.app, "server", `${req.app} answered ${res.status}${said}`, { status: res.status });
  throw new AppError(req.app, "rejected", `${req.app} refused the request (${res.status})${said}`, {
    status: res.status,
  });
}

/** Retry-After in seconds or as an HTTP date. */
export function retryAfterMs(header: string | null): number {
  if (!header) return DEFAULT_RETRY_AFTER_MS;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? DEFAULT_RETRY_AFTER_MS : Math.max(0, at - Date.now());
}
