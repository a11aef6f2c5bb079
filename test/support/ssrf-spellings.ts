/**
 * The SSRF suite's spellings, shared by every outbound client's test (http.request, SMTP, the
 * vendor APIs): each must be refused by the one address policy in every one of them.
 */
import type { LookupAddress } from "node:dns";

/** Loopback, unspecified and link-local targets on a port, in every spelling a URL parser accepts. */
export const loopbackSpellings = (port: number) => [
  `http://127.0.0.1:${port}/`,
  `http://localhost:${port}/`,
  `http://localhost.:${port}/`,
  `http://api.localhost:${port}/`,
  `http://LOCALHOST:${port}/`,
  `http://127.1:${port}/`,
  `http://2130706433:${port}/`,
  `http://0x7f000001:${port}/`,
  `http://0177.0.0.1:${port}/`,
  `http://0.0.0.0:${port}/`,
  `http://0:${port}/`,
  `http://[::1]:${port}/`,
  `http://[::]:${port}/`,
  `http://[::ffff:127.0.0.1]:${port}/`,
  `http://[::ffff:7f00:1]:${port}/`,
  `http://[0:0:0:0:0:ffff:127.0.0.1]:${port}/`,
  `http://[::127.0.0.1]:${port}/`,
  "http://169.254.169.254/latest/meta-data/",
  "http://[fe80::1]/",
  "http://[::ffff:169.254.169.254]/",
];

/** Every spelling of loopback, link-local, metadata and private targets, IPv4 embedded in IPv6 included. */
export const REFUSED: [string, RegExp][] = [
  ["http://169.254.169.254/", /cloud metadata endpoints are never allowed/],
  ["http://0xa9fea9fe/", /cloud metadata/],
  ["http://[::ffff:a9fe:a9fe]/", /cloud metadata/],
  ["http://[64:ff9b::169.254.169.254]/", /cloud metadata/],
  ["http://[2002:a9fe:a9fe::1]/", /cloud metadata/],
  ["http://[fd00:ec2::254]/", /cloud metadata/],
  ["http://100.100.100.200/", /cloud metadata/],
  ["http://169.254.170.2/v2/credentials", /cloud metadata/],
  ["http://metadata.google.internal/computeMetadata/v1/", /cloud metadata/],
  ["http://METADATA.GOOGLE.INTERNAL./", /cloud metadata/],
  ["http://metadata.goog/", /cloud metadata/],
  ["http://metadata/", /cloud metadata/],
  ["http://instance-data/", /cloud metadata/],
  ["http://[64:ff9b::7f00:1]/", /loopback/],
  ["http://[64:ff9b::127.0.0.1]/", /loopback/],
  ["http://[2002:7f00:1::1]/", /loopback/],
  ["http://[::ffff:0:7f00:1]/", /loopback/],
  ["http://[::ffff:0:127.0.0.1]/", /loopback/],
  ["http://[64:ff9b::a9fe:1]/", /loopback, link-local/],
  ["http://[2002:a9fe:1::]/", /loopback, link-local/],
  ["http://[64:ff9b:1::1]/", /loopback, link-local/],
  ["http://[ff02::1]/", /loopback, link-local/],
  ["http://224.0.0.1/", /loopback, link-local/],
  ["http://10.0.0.5/", /private network/],
  ["http://172.16.1.1/", /private network/],
  ["http://172.31.255.255/", /private network/],
  ["http://192.168.1.1/", /private network/],
  ["http://100.64.0.1/", /private network/],
  ["http://[fc00::1]/", /private network/],
  ["http://[fd12:3456::1]/", /private network/],
  ["http://[fec0::1]/", /private network/], // site-local (deprecated, still routed inside some networks)
  ["http://[feff:ffff::1]/", /private network/],
  ["http://[::ffff:10.0.0.1]/", /private network/],
  ["http://[64:ff9b::a00:1]/", /private network/],
  ["http://[2002:c0a8:101::1]/", /private network/],
];

/** A resolver that answers `address` for every name (what a hostile DNS record would do). */
export const resolvesTo =
  (...addresses: string[]) =>
  (_host: string, _opts: object, cb: (err: Error | null, a: LookupAddress[]) => void) =>
    cb(
      null,
      addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 })),
    );
