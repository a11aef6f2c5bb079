/**
 * TRUST_PROXY: which X-Forwarded-For entries to believe, which decides the client address the
 * login and unknown-webhook-token limits count by. Only ever a hop count (the proxies in front of
 * the server) or the proxies' own addresses and ranges: believing every entry would let a client
 * pick its own address with each request and walk around the limits.
 */
import { isIP } from "node:net";

export class TrustProxyError extends Error {
  override name = "TrustProxyError";
}

/** Fastify's `trustProxy`: false (the socket's address), a hop count, or the trusted proxies. */
export type TrustProxy = false | number | string[];

export function trustProxyFromEnv(raw: string | undefined): TrustProxy {
  const value = raw?.trim() ?? "";
  if (value === "" || value === "0" || value === "false") return false;
  if (/^\d+$/.test(value)) return Number(value);
  const entries = value.split(",").map((e) => e.trim());
  for (const entry of entries) {
    const [address, bits, extra] = entry.split("/");
    const family = isIP(address ?? "");
    const bitsOk =
      bits === undefined || (/^\d+$/.test(bits) && Number(bits) <= (family === 6 ? 128 : 32) && extra === undefined);
    if (family === 0 || !bitsOk)
      throw new TrustProxyError(
        `TRUST_PROXY must be the number of proxies in front of the server (1 for one) or a comma-separated list of their addresses or CIDR ranges, not "${entry}": trusting any X-Forwarded-For would let clients choose their own address.`,
      );
  }
  return entries;
}

/** As Fastify's option: a hop count becomes the function proxy-addr calls per hop (its typings lack the number form). */
export function fastifyTrustProxy(t: TrustProxy): false | string[] | ((address: string, hop: number) => boolean) {
  return typeof t === "number" ? (_address, hop) => hop < t : t;
}
