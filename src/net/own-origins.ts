/**
 * Origins this process serves itself, standing in for an outside service: the sandbox Cliniko
 * (the demo clinic of `serve --demo`, the tests' harness) listens on loopback inside the very
 * process whose Cliniko client calls it. The address policy lets exactly such an origin through —
 * its scheme, IP address and port, only while it listens — never loopback in general: a base URL
 * aimed at any other port of this machine is refused like any inside address.
 *
 * Only an IP-literal origin can be registered, so no DNS lookup stands between the check and the
 * connection. A sandbox in another process is an inside address like any other: the operator
 * allows it with CLINIKO_FLOW_HTTP_ALLOW.
 */
import { isIP } from "node:net";

const own = new Map<string, number>();

function keyOf(origin: string | URL): string | undefined {
  try {
    return new URL(String(origin)).origin;
  } catch {
    return undefined;
  }
}

/** Lets `origin` (`http://127.0.0.1:4010`) through until the returned function is called. */
export function serveOwnOrigin(origin: string): () => void {
  const url = new URL(origin);
  if (isIP(url.hostname.replace(/^\[|\]$/g, "")) === 0)
    throw new Error(`An origin this process serves must name an IP address, not "${url.hostname}".`);
  const key = url.origin;
  own.set(key, (own.get(key) ?? 0) + 1);
  let withdrawn = false;
  return () => {
    if (withdrawn) return;
    withdrawn = true;
    const n = (own.get(key) ?? 1) - 1;
    if (n > 0) own.set(key, n);
    else own.delete(key);
  };
}

/** Whether `origin` (or a URL on it) is one this process serves itself right now. */
export function isOwnOrigin(origin: string | URL): boolean {
  const key = keyOf(origin);
  return key !== undefined && own.has(key);
}
