/** Raw-fetch helpers for the sandbox suites: real HTTP, no client library in between. */
import { request } from "node:http";
import type { Sandbox } from "../../src/sandbox/index.ts";

export const USER_AGENT = "cliniko-flow-tests (tests@example.com)";

export function authHeaders(key: string): Record<string, string> {
  return {
    Authorization: `Basic ${Buffer.from(`${key}:`).toString("base64")}`,
    "User-Agent": USER_AGENT,
    Accept: "application/json",
  };
}

export interface Reply {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes, asserted field by field
  body: any;
}

/** One request to the sandbox's /v1 (path below it, or an absolute URL). */
export async function api(
  sandbox: Sandbox,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = authHeaders(sandbox.apiKey),
): Promise<Reply> {
  const url = path.startsWith("http") ? path : `${sandbox.baseUrl}${path}`;
  const res = await fetch(url, {
    method,
    headers: body === undefined ? headers : { ...headers, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** A control-API request (`/__sandbox/...`). */
export async function control(sandbox: Sandbox, method: string, path: string, body?: unknown): Promise<Reply> {
  const res = await fetch(`${sandbox.origin}/__sandbox${path}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

export function q(...filters: string[]): string {
  return filters.map((f) => `q[]=${encodeURIComponent(f)}`).join("&");
}

/** A GET with exactly these headers (fetch would add a User-Agent of its own). */
export function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        body += chunk;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}
