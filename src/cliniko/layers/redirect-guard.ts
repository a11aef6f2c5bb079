/**
 * The credentials stay home: a request goes only to the connection's own API origin (an absolute
 * URL such as a `links.next` on another host is refused before anything is sent), and redirects
 * are never followed, since a redirect could carry the Authorization header elsewhere. A 3xx
 * answer therefore reaches the error-mapping layer as an unexpected status.
 */
import { ClinikoConfigError } from "../errors.ts";
import type { Layer } from "./types.ts";

export function redirectGuard(options: { baseUrl: string }): Layer {
  const origin = new URL(options.baseUrl).origin;
  return (next) =>
    async function guarded<T>(request: Parameters<typeof next>[0]) {
      if (request.url.origin !== origin) {
        throw new ClinikoConfigError(
          `Refusing to send the Cliniko API key to ${request.url.origin}, which is not this connection's API host (${origin}).`,
          { path: request.url.pathname },
        );
      }
      return next<T>({ ...request, redirect: "manual" });
    };
}
