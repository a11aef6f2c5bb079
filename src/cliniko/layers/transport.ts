/**
 * The innermost piece: one HTTP request with the per-request timeout. It knows nothing about
 * Cliniko — no auth, no retries, no status codes — and reports a failure to get an answer as a
 * `TransportError` (timed out, refused, or broken) for the error-mapping layer to explain.
 *
 * It is node:http(s) on a keep-alive agent rather than `fetch`: a step makes one small request,
 * and fetch's per-request machinery (WHATWG streams, abort signals, header objects) cost about
 * twice the CPU of the request itself. Connections are reused; redirects are never followed (a
 * 3xx is answered as it came, as the redirect guard requires).
 */
import http from "node:http";
import https from "node:https";
import { type PipelineRequest, type RawHandler, type RawResponse, TransportError } from "./types.ts";

/**
 * An idle connection is closed after this long: shorter than the usual server keep-alive (Node's
 * 5 s, load balancers' 60 s), so a request is not sent on a connection the server is closing.
 */
const IDLE_MS = 4000;
const agents = {
  http: new http.Agent({ keepAlive: true, timeout: IDLE_MS }),
  https: new https.Agent({ keepAlive: true, timeout: IDLE_MS }),
};

function connectionRefused(err: unknown): boolean {
  const e = err as { code?: string; errors?: { code?: string }[] } | undefined;
  if (!e) return false;
  if (e.code === "ECONNREFUSED") return true;
  return Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every((x) => x.code === "ECONNREFUSED");
}

/** The response's headers as a `Headers` (what the layers above read, e.g. a 429's reset time). */
function headersOf(raw: string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  return headers;
}

export function httpTransport(options: { timeoutMs: number }): RawHandler {
  return (request: PipelineRequest) =>
    new Promise<RawResponse>((resolve, reject) => {
      const { signal, url } = request;
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const body = request.body === undefined ? undefined : JSON.stringify(request.body);
      const headers =
        body === undefined
          ? request.headers
          : {
              ...request.headers,
              "Content-Type": "application/json",
              "Content-Length": String(Buffer.byteLength(body)),
            };
      const secure = url.protocol === "https:";
      let timedOut = false;
      let done = false;
      const finish = (fn: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        fn();
      };
      const fail = (err: unknown) =>
        finish(() => {
          // The caller gave up: that is their answer, not a network problem to explain or retry.
          if (signal?.aborted) reject(signal.reason);
          else reject(new TransportError({ timedOut, refused: !timedOut && connectionRefused(err), cause: err }));
        });
      const req = (secure ? https : http).request(
        url,
        { method: request.method, headers, agent: secure ? agents.https : agents.http },
        (res) => {
          res.setEncoding("utf8");
          let text = "";
          res.on("data", (chunk: string) => {
            text += chunk;
          });
          res.once("end", () =>
            finish(() => resolve({ status: res.statusCode ?? 0, headers: headersOf(res.rawHeaders), text })),
          );
          res.once("error", fail);
          res.once("aborted", () => fail(new Error("the connection closed before the whole answer arrived")));
        },
      );
      // Covers the whole exchange, the answer's body included, as fetch's timeout signal did.
      const timer = setTimeout(() => {
        timedOut = true;
        req.destroy(new Error(`no answer within ${options.timeoutMs} ms`));
      }, options.timeoutMs);
      const onAbort = () => req.destroy(signal?.reason);
      signal?.addEventListener("abort", onAbort, { once: true });
      req.once("error", fail);
      req.end(body);
    });
}
