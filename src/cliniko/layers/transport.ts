/**
 * The innermost piece: one `fetch` with the per-request timeout. It knows nothing about Cliniko —
 * no auth, no retries, no status codes — and reports a failure to get an answer as a
 * `TransportError` (timed out, refused, or broken) for the error-mapping layer to explain.
 */
import { type PipelineRequest, type RawHandler, type RawResponse, TransportError } from "./types.ts";

function connectionRefused(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string; errors?: { code?: string }[] } })?.cause;
  if (!cause) return false;
  if (cause.code === "ECONNREFUSED") return true;
  return Array.isArray(cause.errors) && cause.errors.length > 0 && cause.errors.every((e) => e.code === "ECONNREFUSED");
}

export function fetchTransport(options: { timeoutMs: number }): RawHandler {
  return async (request: PipelineRequest): Promise<RawResponse> => {
    const timeout = AbortSignal.timeout(options.timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    const hasBody = request.body !== undefined;
    try {
      const response = await fetch(request.url, {
        method: request.method,
        headers: hasBody ? { ...request.headers, "Content-Type": "application/json" } : request.headers,
        body: hasBody ? JSON.stringify(request.body) : undefined,
        signal,
        redirect: request.redirect ?? "manual",
      });
      return { status: response.status, headers: response.headers, text: await response.text() };
    } catch (err) {
      // The caller gave up: that is their answer, not a network problem to explain or retry.
      if (request.signal?.aborted) throw request.signal.reason;
      const timedOut = timeout.aborted;
      throw new TransportError({ timedOut, refused: !timedOut && connectionRefused(err), cause: err });
    }
  };
}
