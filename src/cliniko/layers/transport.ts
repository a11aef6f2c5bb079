/**
 * The innermost piece: one HTTP request with the per-request timeout. It knows nothing about
 * Cliniko — no auth, no retries, no status codes — and reports a failure to get an answer as a
 * `TransportError` (timed out, refused, or broken) for the error-mapping layer to explain.
 *
 * It is undici's `request` on a keep-alive agent rather than `fetch` (which undici also serves):
 * a step makes one small request, and fetch's per-request machinery (WHATWG streams, Request and
 * Response objects, signal plumbing) cost about as much CPU as the request itself. `request`
 * never follows a redirect: a 3xx is answered as it came, as the redirect guard requires. The
 * agent it is given connects only where the address policy allows (network.ts).
 */
import { type Dispatcher, request as send } from "undici";
import { type PipelineRequest, type RawHandler, type RawResponse, TransportError } from "./types.ts";

/**
 * An idle connection is closed after this long: shorter than the usual server keep-alive (Node's
 * 5 s, load balancers' 60 s), so a request is not sent on a connection the server is closing.
 */
const IDLE_MS = 4000;
/** The keep-alive the transport's agent is built with. */
export const KEEP_ALIVE = { keepAliveTimeout: IDLE_MS, keepAliveMaxTimeout: IDLE_MS };

function connectionRefused(err: unknown): boolean {
  for (const e of [err, (err as { cause?: unknown } | undefined)?.cause]) {
    const x = e as { code?: string; errors?: { code?: string }[] } | undefined;
    if (x?.code === "ECONNREFUSED") return true;
    if (Array.isArray(x?.errors) && x.errors.length > 0 && x.errors.every((y) => y.code === "ECONNREFUSED"))
      return true;
  }
  return false;
}

/** The response's headers as a `Headers` (what the layers above read, e.g. a 429's reset time). */
function headersOf(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else if (value !== undefined) headers.append(name, value);
  }
  return headers;
}

export function httpTransport(options: { timeoutMs: number; dispatcher: Dispatcher }): RawHandler {
  return async (request: PipelineRequest): Promise<RawResponse> => {
    const { signal } = request;
    if (signal?.aborted) throw signal.reason;
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const headers = body === undefined ? request.headers : { ...request.headers, "content-type": "application/json" };
    // One timer covers the whole exchange, the answer's body included; the caller's signal stops it too.
    const stop = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      stop.abort(new Error(`no answer within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    const onAbort = () => stop.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const response = await send(request.url, {
        method: request.method,
        headers,
        body,
        dispatcher: options.dispatcher,
        signal: stop.signal,
      });
      const text = await response.body.text();
      return { status: response.statusCode, headers: headersOf(response.headers), text };
    } catch (err) {
      // The caller gave up: that is their answer, not a network problem to explain or retry.
      if (signal?.aborted) throw signal.reason;
      throw new TransportError({ timedOut, refused: !timedOut && connectionRefused(err), cause: err });
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  };
}
