/**
 * Every outbound connection the product makes (http.request, SMTP, the vendor APIs) is checked
 * here against the one address policy (address-policy.ts), on the address actually connected to:
 * a DNS lookup that refuses a forbidden answer (so the socket can never connect to it), a check
 * of the host as written (IP literals and metadata names are never looked up), and the same
 * lookup inside an undici dispatcher for fetch, the vendor clients that take a fetch, and the
 * Cliniko client (which alone also reaches the origins this process serves itself: own-origins.ts).
 */
import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import { Agent, type Dispatcher, fetch as undiciFetch } from "undici";
import { type AddressClass, type AllowList, refusal } from "./address-policy.ts";
import { isOwnOrigin } from "./own-origins.ts";

const WHY: Record<AddressClass, string> = {
  metadata: "cloud metadata endpoints are never allowed",
  local: "loopback, link-local and reserved addresses are blocked (allow a target with CLINIKO_FLOW_HTTP_ALLOW)",
  private: "private network addresses are blocked (allow a target with CLINIKO_FLOW_HTTP_ALLOW)",
};

/** Why the policy refuses a class of address, as the end of a sentence. */
export const refusalReason = (why: AddressClass): string => WHY[why];

/** A connection the address policy refused; nothing was sent. */
export class OutboundRefusedError extends Error {
  override name = "OutboundRefusedError";
  readonly code = "EREFUSED_BY_POLICY";
  readonly why: AddressClass;
  constructor(target: string, why: AddressClass) {
    super(`refuses ${target}: ${WHY[why]}`);
    this.why = why;
  }
}

/**
 * What a connection test answers when it could not connect, whatever the reason (refused by the
 * policy, no such host, connection refused, timed out, TLS failed): one sentence, so a test
 * cannot be used to map which hosts and ports answer inside the network.
 */
export const UNREACHABLE = (what: string) =>
  `${what} could not be reached: check the host and port, and that this server may connect to it (addresses inside your network need CLINIKO_FLOW_HTTP_ALLOW).`;

const bare = (host: string) => host.replace(/^\[|\]$/g, "");

/** Refuses a host as written when no lookup is needed to know (an IP literal, a metadata name, localhost). */
export function checkHost(host: string, allow: AllowList): void {
  const why = refusal(host, bare(host), allow);
  if (why) throw new OutboundRefusedError(bare(host), why);
}

/**
 * A `dns.lookup` that answers only allowed addresses: every answer is checked, not only the first,
 * since a socket may try the others. Sockets given it can reach nothing the policy refuses.
 */
export function guardedLookup(allow: AllowList, resolve: typeof dnsLookup = dnsLookup): typeof dnsLookup {
  return ((hostname: string, opts: object | number | undefined, cb: (...a: unknown[]) => void) => {
    const options = typeof opts === "object" && opts !== null ? opts : {};
    resolve(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return cb(err);
      for (const a of addresses) {
        const why = refusal(hostname, a.address, allow);
        if (why) return cb(new OutboundRefusedError(`${hostname} (${a.address})`, why));
      }
      if ((options as { all?: boolean }).all) cb(null, addresses);
      else cb(null, addresses[0]!.address, addresses[0]!.family);
    });
  }) as typeof dnsLookup;
}

/**
 * Resolves `host` to one allowed address to connect to directly (clients that do their own DNS,
 * such as nodemailer, are given the address, so what was checked is what is connected to).
 */
export function resolveAllowed(
  host: string,
  allow: AllowList,
  resolve: typeof dnsLookup = dnsLookup,
): Promise<{ address: string; family: number }> {
  checkHost(host, allow);
  const h = bare(host);
  return new Promise((ok, fail) =>
    guardedLookup(allow, resolve)(h, { all: false }, (err: Error | null, address: string, family: number) =>
      err ? fail(err) : ok({ address, family }),
    ),
  );
}

export interface GuardOptions {
  /** The agent's own options (keep-alive timeouts). */
  agent?: Omit<Agent.Options, "connect">;
  /**
   * Also let through the origins this process serves itself (own-origins.ts): only the Cliniko
   * client asks, for the sandbox Cliniko of the demo and the tests.
   */
  ownOrigins?: boolean;
  /** The resolver whose answers are checked (tests give a hostile one). */
  resolve?: typeof dnsLookup;
}

/** An undici agent that connects only where the policy allows (a new one: callers keep it). */
export function guardedAgent(allow: AllowList, options: GuardOptions = {}): Dispatcher {
  const lookup = guardedLookup(allow, options.resolve);
  const agent = new Agent({ ...options.agent, connect: { lookup } });
  // IP literals never reach the lookup: check the origin of every request first. An own origin
  // is an IP literal too (own-origins.ts), so what is let through here is what is connected to.
  return agent.compose((dispatch) => (opts, handler) => {
    if (!(options.ownOrigins && isOwnOrigin(String(opts.origin))))
      checkHost(new URL(String(opts.origin)).hostname, allow);
    return dispatch(opts, handler);
  });
}

const dispatchers = new WeakMap<AllowList, Dispatcher>();

/** An undici dispatcher for `fetch` that connects only where the policy allows. */
export function guardedDispatcher(allow: AllowList): Dispatcher {
  let d = dispatchers.get(allow);
  if (!d) {
    d = guardedAgent(allow);
    dispatchers.set(allow, d);
  }
  return d;
}

/** A WHATWG `fetch` (for vendor clients that take one) that connects only where the policy allows. */
export function guardedFetch(allow: AllowList): typeof globalThis.fetch {
  const dispatcher = guardedDispatcher(allow);
  return ((input: Parameters<typeof globalThis.fetch>[0], init?: RequestInit) =>
    undiciFetch(input as never, { ...(init as object), dispatcher } as never)) as unknown as typeof globalThis.fetch;
}

/** The policy's refusal inside an error (clients wrap it as a cause), if that is what it is. */
export function refusalIn(err: unknown): OutboundRefusedError | undefined {
  for (let e = err as { cause?: unknown } | undefined, i = 0; e && i < 5; e = e.cause as typeof e, i++)
    if (e instanceof OutboundRefusedError) return e;
  return undefined;
}
