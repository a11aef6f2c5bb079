/**
 * Where the Cliniko client may connect: the one address policy (src/net) that http.request, SMTP
 * and the vendor APIs obey. A connection's base URL is checked when the connection is saved, so a
 * form refuses one aimed at a cloud metadata endpoint or inside the network with one sentence
 * at the field; and every request goes through a guarded agent that decides on the address
 * actually connected to, so a name that later resolves inside (DNS rebinding) is refused too.
 * Private and loopback targets need CLINIKO_FLOW_HTTP_ALLOW; metadata endpoints are never
 * reached. The sandbox Cliniko this process serves itself (the demo, the tests) is let through by
 * its exact origin (src/net/own-origins.ts).
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { type AddressClass, type AllowList, refusal } from "../net/address-policy.ts";
import { type GuardOptions, guardedAgent, refusalReason } from "../net/outbound.ts";
import { isOwnOrigin } from "../net/own-origins.ts";
import { ClinikoBaseUrlError } from "./errors.ts";
import { normaliseBaseUrl } from "./regions.ts";

/** The sentence a refused base URL gets (the URL itself is not echoed: a pasted key must not be). */
function refused(why: AddressClass): ClinikoBaseUrlError {
  return new ClinikoBaseUrlError(
    `The Cliniko base URL points where this server may not connect: ${refusalReason(why)}.`,
  );
}

const hostOf = (url: URL) => url.hostname.replace(/^\[|\]$/g, "");

/**
 * Refuses a base URL whose host the policy refuses as written: an IP literal in any spelling, a
 * metadata name, `localhost`. Synchronous, so every client checks it when it is built.
 */
export function checkBaseUrl(baseUrl: string, allow: AllowList): void {
  const url = new URL(normaliseBaseUrl(baseUrl));
  if (isOwnOrigin(url)) return;
  const why = refusal(hostOf(url), hostOf(url), allow);
  if (why) throw refused(why);
}

/**
 * What a connection's save checks: the base URL as written, then what its name resolves to now.
 * A name that does not resolve is not refused here (the connection test will say so); one that
 * resolves to a refused address is.
 */
export async function checkBaseUrlToSave(
  baseUrl: string | null | undefined,
  allow: AllowList,
  resolve: typeof dnsLookup = dnsLookup,
): Promise<void> {
  if (typeof baseUrl !== "string" || baseUrl.trim() === "") return;
  checkBaseUrl(baseUrl, allow);
  const url = new URL(normaliseBaseUrl(baseUrl));
  if (isOwnOrigin(url)) return;
  const answers = await new Promise<LookupAddress[]>((ok) =>
    resolve(hostOf(url), { all: true }, (err, addresses) => ok(err ? [] : addresses)),
  );
  for (const { address } of answers) {
    const why = refusal(hostOf(url), address, allow);
    if (why) throw refused(why);
  }
}

const agents = new WeakMap<AllowList, ReturnType<typeof guardedAgent>>();

/**
 * The Cliniko client's agent for an allow-list: keep-alive, guarded, own origins let through.
 * One per allow-list, shared by its clients; a test's own resolver gets an agent of its own.
 */
export function clinikoAgent(
  allow: AllowList,
  agent: GuardOptions["agent"],
  resolve?: typeof dnsLookup,
): ReturnType<typeof guardedAgent> {
  if (resolve) return guardedAgent(allow, { agent, ownOrigins: true, resolve });
  let d = agents.get(allow);
  if (!d) {
    d = guardedAgent(allow, { agent, ownOrigins: true });
    agents.set(allow, d);
  }
  return d;
}
