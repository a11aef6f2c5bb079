/**
 * The `http.request` step: a JSON-friendly HTTP client for other apps (CRMs, accounting, chat
 * webhooks). Where it may connect is address-policy.ts's decision, made on the address actually
 * connected to (a custom DNS lookup), so DNS tricks cannot reach the server's own services, the
 * clinic's LAN or a cloud metadata endpoint unless the operator allowed that target.
 */
import type { lookup as dnsLookup } from "node:dns";
import http from "node:http";
import https from "node:https";
import { z } from "zod";
import { type AllowList, allowListFromEnv } from "../../net/address-policy.ts";
import { checkHost, guardedLookup, OutboundRefusedError } from "../../net/outbound.ts";

export const HttpRequestInput = z
  .object({
    method: z.enum(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]).default("POST"),
    url: z.string().url(),
    headers: z.record(z.string(), z.string()).optional(),
    query: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
    json: z.unknown().optional(),
    body: z.string().optional(),
    timeout: z.number().int().positive().max(300_000).optional().describe("ms, default 30000"),
  })
  .strict();
export type HttpRequestInput = z.infer<typeof HttpRequestInput>;

export class HttpRequestError extends Error {
  override name = "HttpRequestError";
  readonly status?: number;
  /** The request may have reached the server (sent, then the connection broke or timed out). */
  readonly maybeSent: boolean;
  readonly transient: boolean;
  readonly detail?: unknown;
  constructor(message: string, init: { status?: number; maybeSent: boolean; transient: boolean; detail?: unknown }) {
    super(message);
    this.status = init.status;
    this.maybeSent = init.maybeSent;
    this.transient = init.transient;
    this.detail = init.detail;
  }
}

export interface HttpResponseOutput {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export function isSafeMethod(method: string): boolean {
  return ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"].includes(method.toUpperCase());
}

const MAX_BODY = 5 * 1024 * 1024;

export interface HttpRequestOptions {
  /** Allow every target but cloud metadata (tests, local setups); default: CLINIKO_FLOW_ALLOW_PRIVATE_HTTP=1. */
  allowPrivate?: boolean;
  /** The exceptions to the address policy; default from CLINIKO_FLOW_HTTP_ALLOW. */
  allow?: AllowList;
  /** The resolver (tests give one that answers chosen addresses). */
  lookup?: typeof dnsLookup;
}

export async function httpRequest(raw: unknown, options: HttpRequestOptions = {}): Promise<HttpResponseOutput> {
  const parsed = HttpRequestInput.safeParse(raw);
  if (!parsed.success) {
    const i = parsed.error.issues[0]!;
    throw new HttpRequestError(`Invalid http.request input: ${i.path.join(".") || "(input)"}: ${i.message}.`, {
      maybeSent: false,
      transient: false,
    });
  }
  const input = parsed.data;
  const url = new URL(input.url);
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new HttpRequestError(`http.request only sends http(s) requests, not ${url.protocol}.`, {
      maybeSent: false,
      transient: false,
    });
  for (const [k, v] of Object.entries(input.query ?? {})) url.searchParams.append(k, String(v));
  const headers: Record<string, string> = { "user-agent": "cliniko-flow", ...lower(input.headers ?? {}) };
  let body: Buffer | undefined;
  if (input.json !== undefined) {
    body = Buffer.from(JSON.stringify(input.json));
    headers["content-type"] ??= "application/json";
  } else if (input.body !== undefined) body = Buffer.from(input.body);
  if (body) headers["content-length"] = String(body.length);
  const allow = options.allow ?? allowListFromEnv(process.env, options.allowPrivate);
  try {
    checkHost(url.hostname, allow); // an IP literal, a metadata name or localhost: no lookup needed
  } catch (err) {
    throw refused(err as OutboundRefusedError);
  }
  const lookup = guardedLookup(allow, options.lookup);
  const timeout = input.timeout ?? 30_000;
  const transport = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    let sent = false;
    const req = transport.request(url, { method: input.method, headers, lookup, timeout }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY) req.destroy(new Error("response larger than 5 MB"));
        else chunks.push(c);
      });
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let parsedBody: unknown = text;
        if (/json/i.test(String(res.headers["content-type"] ?? "")) && text) {
          try {
            parsedBody = JSON.parse(text);
          } catch {}
        }
        const status = res.statusCode ?? 0;
        const out = { status, headers: flatHeaders(res.headers), body: parsedBody };
        if (status >= 400)
          reject(
            new HttpRequestError(`${input.method} ${url.origin}${url.pathname} answered HTTP ${status}.`, {
              status,
              maybeSent: status >= 500,
              transient: status >= 500 || status === 429 || status === 408,
              detail: typeof parsedBody === "string" ? parsedBody.slice(0, 500) : parsedBody,
            }),
          );
        else resolve(out);
      });
      res.on("error", (err) => fail(err));
    });
    const fail = (err: Error & { code?: string }) => {
      if (err instanceof HttpRequestError) return reject(err);
      if (err instanceof OutboundRefusedError) return reject(refused(err));
      const timedOut = err.message === "timeout";
      reject(
        new HttpRequestError(
          timedOut
            ? `${input.method} ${url.origin}${url.pathname} did not answer within ${timeout} ms.`
            : `${input.method} ${url.origin}${url.pathname} failed: ${err.code ?? err.message}.`,
          { maybeSent: sent, transient: true },
        ),
      );
    };
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", fail);
    req.on("finish", () => {
      sent = true;
    });
    req.end(body);
  });
}

function refused(err: OutboundRefusedError): HttpRequestError {
  return new HttpRequestError(`http.request ${err.message}.`, { maybeSent: false, transient: false });
}

function lower(h: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
}

function flatHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}
