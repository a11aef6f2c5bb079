/**
 * Which addresses the product may connect to: http.request, SMTP and the vendor APIs all ask
 * here (through outbound.ts). The decision is made on the address itself —
 * after DNS, on the address actually connected to — and on the IPv4 address embedded in IPv6
 * forms (IPv4-mapped, SIIT/IPv4-translated, IPv4-compatible, NAT64, 6to4), never on the text of
 * the URL: `64:ff9b::7f00:1` is 127.0.0.1 and is treated as such.
 *
 * - Cloud metadata endpoints (169.254.169.254, fd00:ec2::254, 100.100.100.200,
 *   metadata.google.internal, …) are refused always: no setting allows them.
 * - Loopback, link-local, unspecified, multicast and reserved addresses, and private networks
 *   (10/8, 172.16/12, 192.168/16, 100.64/10 CGNAT, fc00::/7, fec0::/10 site-local), are refused unless allowed by
 *   CLINIKO_FLOW_HTTP_ALLOW (hosts, IPs or CIDRs) or CLINIKO_FLOW_ALLOW_PRIVATE_HTTP=1.
 */
import { BlockList, isIP } from "node:net";

export type AddressClass = "metadata" | "local" | "private";

const METADATA_ADDRESSES = [
  "169.254.169.254", // AWS, GCP, Azure, OCI, DigitalOcean, OpenStack, …
  "169.254.170.2", // AWS ECS task metadata
  "169.254.0.23", // Tencent Cloud
  "100.100.100.200", // Alibaba Cloud
  "192.0.0.192", // Oracle Cloud (legacy)
];
const METADATA_ADDRESSES_V6 = ["fd00:ec2::254", "fd00:ec2::23"]; // AWS IMDS and time sync over IPv6
const METADATA_HOSTS = new Set([
  "metadata",
  "metadata.google.internal",
  "metadata.goog",
  "instance-data",
  "instance-data.ec2.internal",
  "metadata.tencentyun.com",
  "metadata.platformequinix.com",
]);

const LOCAL_V4: [string, number][] = [
  ["0.0.0.0", 8], // "this network"; 0.0.0.0 reaches the local host
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["192.0.0.0", 24], // IETF protocol assignments
  ["224.0.0.0", 4], // multicast
  ["240.0.0.0", 4], // reserved, and 255.255.255.255
];
const PRIVATE_V4: [string, number][] = [
  ["10.0.0.0", 8],
  ["172.16.0.0", 12],
  ["192.168.0.0", 16],
  ["100.64.0.0", 10], // carrier-grade NAT (and Alibaba's metadata range)
  ["198.18.0.0", 15], // benchmarking, often used inside data centres
];
const LOCAL_V6: [string, number][] = [
  ["::", 128],
  ["::1", 128],
  ["fe80::", 10],
  ["ff00::", 8], // multicast
  ["2001::", 32], // Teredo: the IPv4 inside is obfuscated, so refuse the range
  ["64:ff9b:1::", 48], // local-use NAT64 (RFC 8215)
];
const PRIVATE_V6: [string, number][] = [
  ["fc00::", 7], // unique local
  ["fec0::", 10], // site-local: deprecated, but a network may still route it internally
];

function list(v4: [string, number][], v6: [string, number][], addresses: string[] = []): BlockList {
  const b = new BlockList();
  for (const [net, bits] of v4) b.addSubnet(net, bits, "ipv4");
  for (const [net, bits] of v6) b.addSubnet(net, bits, "ipv6");
  for (const a of addresses) b.addAddress(a, isIP(a) === 6 ? "ipv6" : "ipv4");
  return b;
}
const metadata = list([], [], [...METADATA_ADDRESSES, ...METADATA_ADDRESSES_V6]);
const local = list(LOCAL_V4, LOCAL_V6);
const privateNets = list(PRIVATE_V4, PRIVATE_V6);

/** The 16 bytes of an IPv6 address (with or without brackets, zone or trailing dotted quad). */
function v6Bytes(text: string): number[] | null {
  let s = text.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (quad) {
    const p = quad[1]!.split(".").map(Number);
    s = `${s.slice(0, quad.index)}${((p[0]! << 8) | p[1]!).toString(16)}:${((p[2]! << 8) | p[3]!).toString(16)}`;
  }
  const [head, tail] = s.includes("::") ? s.split("::") : [s, undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  if (groups.length !== 8) return null;
  return groups.flatMap((g) => {
    const n = Number.parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

const v4 = (b: number[], at: number) => b.slice(at, at + 4).join(".");
const zeros = (b: number[], from: number, to: number) => b.slice(from, to).every((x) => x === 0);

/** The IPv4 address an IPv6 address stands for, when it is one of the forms that embed one. */
export function embeddedIPv4(address: string): string | null {
  if (isIP(address.replace(/^\[|\]$/g, "").replace(/%.*$/, "")) !== 6) return null;
  const b = v6Bytes(address);
  if (!b) return null;
  const word = (i: number) => (b[i]! << 8) | b[i + 1]!;
  if (zeros(b, 0, 10) && word(10) === 0xffff) return v4(b, 12); // ::ffff:a.b.c.d (mapped)
  if (zeros(b, 0, 8) && word(8) === 0xffff && word(10) === 0) return v4(b, 12); // ::ffff:0:a.b.c.d (SIIT)
  if (zeros(b, 0, 12) && !zeros(b, 12, 14)) return v4(b, 12); // ::a.b.c.d (compatible, deprecated)
  if (word(0) === 0x64 && word(2) === 0xff9b && zeros(b, 4, 12)) return v4(b, 12); // 64:ff9b::/96 NAT64
  if (word(0) === 0x2002) return v4(b, 2); // 2002:AABB:CCDD::/48 6to4
  return null;
}

/** What kind of address this is (`null`: a public address), deciding on any embedded IPv4. */
export function classifyAddress(address: string): AddressClass | null {
  const bare = address.replace(/^\[|\]$/g, "").replace(/%.*$/, "");
  const family = isIP(bare);
  if (family === 0) return null;
  const inner = embeddedIPv4(bare);
  const checks: [string, "ipv4" | "ipv6"][] = [[bare, family === 6 ? "ipv6" : "ipv4"]];
  if (inner) checks.push([inner, "ipv4"]);
  for (const [list, cls] of [
    [metadata, "metadata"],
    [local, "local"],
    [privateNets, "private"],
  ] as const)
    if (checks.some(([a, f]) => list.check(a, f))) return cls;
  return null;
}

/** `localhost` and `*.localhost` (RFC 6761) are loopback whatever a resolver says. */
const LOCALHOST = /(^|\.)localhost$/;

function hostKey(host: string): string {
  return host
    .replace(/^\[|\]$/g, "")
    .replace(/\.$/, "")
    .toLowerCase();
}

/** What a host name says before any lookup: a metadata name, a localhost name, or nothing yet. */
export function classifyHostName(host: string): AddressClass | null {
  const key = hostKey(host);
  if (METADATA_HOSTS.has(key)) return "metadata";
  if (LOCALHOST.test(key)) return "local";
  return classifyAddress(key);
}

/** The operator's exceptions: `CLINIKO_FLOW_HTTP_ALLOW=10.0.0.5,crm.lan,192.168.1.0/24`. */
export class AllowList {
  readonly #hosts = new Set<string>();
  readonly #nets = new BlockList();
  readonly #all: boolean;
  constructor(entries: string | undefined, allowAll = false) {
    this.#all = allowAll;
    for (const raw of (entries ?? "").split(",")) {
      const entry = raw.trim();
      if (!entry) continue;
      const [net, bits] = entry.split("/");
      const family = isIP(hostKey(net!));
      if (family === 0) {
        if (bits !== undefined) throw new Error(`CLINIKO_FLOW_HTTP_ALLOW: "${entry}" is not an IP range.`);
        this.#hosts.add(hostKey(entry));
      } else if (bits === undefined) this.#nets.addAddress(hostKey(net!), family === 6 ? "ipv6" : "ipv4");
      else {
        const n = Number(bits);
        if (!Number.isInteger(n) || n < 0 || n > (family === 6 ? 128 : 32))
          throw new Error(`CLINIKO_FLOW_HTTP_ALLOW: "${entry}" has an invalid prefix length.`);
        this.#nets.addSubnet(hostKey(net!), n, family === 6 ? "ipv6" : "ipv4");
      }
    }
  }

  /** Whether `host` (as written in the URL), connecting to `address`, is an allowed exception. */
  allows(host: string, address: string): boolean {
    if (this.#all || this.#hosts.has(hostKey(host))) return true;
    const bare = hostKey(address);
    const family = isIP(bare);
    if (family === 0) return false;
    const inner = embeddedIPv4(bare);
    return (
      this.#nets.check(bare, family === 6 ? "ipv6" : "ipv4") || (inner !== null && this.#nets.check(inner, "ipv4"))
    );
  }
}

const cached = new Map<string, AllowList>();
/** The allow-list of the environment (parsed once per distinct value). */
export function allowListFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  allowAll = env.CLINIKO_FLOW_ALLOW_PRIVATE_HTTP === "1",
): AllowList {
  const key = `${allowAll}\0${env.CLINIKO_FLOW_HTTP_ALLOW ?? ""}`;
  let list = cached.get(key);
  if (!list) {
    list = new AllowList(env.CLINIKO_FLOW_HTTP_ALLOW, allowAll);
    cached.set(key, list);
  }
  return list;
}

/**
 * Why `host` connecting to `address` is refused, or `null` when it may go ahead. `address` is the
 * resolved address (for an IP literal, the host itself).
 */
export function refusal(host: string, address: string, allow: AllowList): AddressClass | null {
  const named = classifyHostName(host);
  const cls = named === "metadata" ? "metadata" : (classifyAddress(address) ?? named);
  if (cls === null || cls === "metadata") return cls;
  return allow.allows(host, address) ? null : cls;
}
