/**
 * TRUST_PROXY never means "believe any X-Forwarded-For": with a hop count or the proxy's address,
 * a client rotating the header it sends still counts as one address for the login limit and the
 * unknown-webhook-token limit (the proxy appends the real address; only that entry is believed).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { TrustProxyError, trustProxyFromEnv } from "../../src/server/trust-proxy.ts";
import { type Stack, startStack } from "./harness.ts";

/** What a client behind one proxy sends: its own made-up entries, then the address the proxy appended. */
const forwarded = (i: number) => ({ "x-forwarded-for": `198.51.100.${i % 250}, 203.0.113.7` });

async function walk(s: Stack) {
  const logins: number[] = [];
  for (let i = 0; i < 30; i++)
    logins.push(
      (await s.call("POST", "/api/login", { body: { password: `guess-${i}-wrong`! }, headers: forwarded(i) })).status,
    );
  const hooks: number[] = [];
  for (let i = 0; i < 40; i++)
    hooks.push((await s.call("POST", `/hooks/whk_guess${i}`, { body: {}, headers: forwarded(i) })).status);
  return { logins, hooks };
}

for (const [label, trustProxy] of [
  ["a hop count (TRUST_PROXY=1)", 1],
  ["the proxy's address (TRUST_PROXY=127.0.0.1/32)", ["127.0.0.1/32"]],
] as const) {
  describe(`behind a proxy, trusted by ${label}`, () => {
    test("a rotating X-Forwarded-For gets 10 login attempts a minute and 30 unknown-token posts, not more", async () => {
      const s = await startStack({ trustProxy: trustProxy as never });
      try {
        const { logins, hooks } = await walk(s);
        assert.equal(logins.filter((x) => x === 401).length, 10, `logins: ${logins}`);
        assert.equal(logins.filter((x) => x === 429).length, 20);
        assert.equal(hooks.filter((x) => x === 404).length, 30, `hooks: ${hooks}`);
        assert.equal(hooks.filter((x) => x === 429).length, 10);
      } finally {
        await s.stop();
      }
    });
  });
}

test("a proxy list that does not include the peer believes no header at all", async () => {
  const s = await startStack({ trustProxy: ["10.0.0.0/8"] });
  try {
    const { logins } = await walk(s);
    assert.equal(logins.filter((x) => x === 401).length, 10);
  } finally {
    await s.stop();
  }
});

test("TRUST_PROXY is a hop count or a list of addresses and ranges, never 'trust everything'", () => {
  assert.equal(trustProxyFromEnv(undefined), false);
  assert.equal(trustProxyFromEnv(""), false);
  assert.equal(trustProxyFromEnv("1"), 1);
  assert.equal(trustProxyFromEnv("2"), 2);
  assert.deepEqual(trustProxyFromEnv("10.0.0.1, 192.168.0.0/16,::1"), ["10.0.0.1", "192.168.0.0/16", "::1"]);
  for (const bad of ["true", "*", "all", "10.0.0.0/33", "proxy.lan", "0.0.0.0/0/1"])
    assert.throws(() => trustProxyFromEnv(bad), TrustProxyError, bad);
});
