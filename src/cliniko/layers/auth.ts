/**
 * Auth and identification: Basic auth with the API key as user name and an empty password, the
 * User-Agent with the contact email Cliniko requires, and `Accept: application/json`.
 */
import type { RawLayer } from "./types.ts";

export function authHeaders(options: { apiKey: string; email: string }): RawLayer {
  const headers: Record<string, string> = {
    Authorization: `Basic ${Buffer.from(`${options.apiKey}:`).toString("base64")}`,
    "User-Agent": `cliniko-flow (${options.email})`,
    Accept: "application/json",
  };
  return (next) => (request) => next({ ...request, headers: { ...request.headers, ...headers } });
}
