/**
 * SSRF: `http.request` must not reach the server's own services or the cloud metadata address,
 * whatever spelling the URL uses, and the check must hold on the address actually connected to.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { AllowList } from "../../../src/net/address-policy.ts";
import { httpRequest } from "../../../src/steps/http/request.ts";
import { REFUSED, resolvesTo, loopbackSpellings as spellings } from "../../support/ssrf-spellings.ts";

let server: Server;
let port: number;
const hits: string[] = [];
const loopbackSpellings = () => spellings(port);

before(async () => {
  server = createServer((req, res) => {
    hits.push(req.url ?? "");
    if (req.url === "/redirect") {
      res.writeHead(302, { location: `http://127.0.0.1:${port}/internal` }).end();
      return;
    }
    res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test("loopback, unspecified and link-local targets are refused in every spelling, before any byte is sent", async () => {
  for (const url of loopbackSpellings()) {
    await assert.rejects(
      httpRequest({ method: "GET", url }, { allowPrivate: false }),
      (err: Error & { maybeSent?: boolean }) => {
        assert.match(err.message, /refuses .*: (cloud metadata|loopback, link-local and reserved)/, url);
        assert.equal(err.maybeSent, false, url);
        return true;
      },
      url,
    );
  }
  assert.deepEqual(hits, []);
});

test("with private targets allowed, loopback works, and a redirect is returned, not followed", async () => {
  const ok = await httpRequest({ method: "GET", url: `http://localhost:${port}/allowed` }, { allowPrivate: true });
  assert.equal(ok.status, 200);
  const redirected = await httpRequest(
    { method: "GET", url: `http://127.0.0.1:${port}/redirect` },
    { allowPrivate: true },
  );
  assert.equal(redirected.status, 302);
  assert.deepEqual(hits, ["/allowed", "/redirect"], "the redirect target was never requested");
});

test("only http and https", async () => {
  await assert.rejects(httpRequest({ url: "file:///etc/passwd" }), /only sends http\(s\) requests/);
});

test("metadata, loopback, link-local and private targets are refused in every spelling, by default", async () => {
  const none = new AllowList(undefined);
  for (const [url, why] of REFUSED) {
    await assert.rejects(httpRequest({ method: "GET", url }, { allow: none }), why, url);
    // The same address behind an innocent-looking name is refused on the address connected to.
    const host = new URL(url).hostname.replace(/^\[|\]$/g, "");
    if (!/^[\d.]+$|:/.test(host)) continue;
    const address = host.includes(":") ? host : new URL(`http://${host}/`).hostname;
    await assert.rejects(
      httpRequest(
        { method: "GET", url: "http://innocent.example/" },
        { allow: none, lookup: resolvesTo(address) as never },
      ),
      why,
      `innocent.example → ${address}`,
    );
  }
  // One bad answer among good ones is enough to refuse.
  await assert.rejects(
    httpRequest(
      { method: "GET", url: "http://mixed.example/" },
      { allow: none, lookup: resolvesTo("93.184.216.34", "64:ff9b::7f00:1") as never },
    ),
    /loopback/,
  );
  assert.deepEqual(hits.slice(2), []);
});

test("cloud metadata stays refused even when private targets or that very address are allowed", async () => {
  for (const allow of [
    new AllowList(undefined, true),
    new AllowList("169.254.169.254,metadata.google.internal,fd00:ec2::/32"),
  ])
    for (const url of ["http://169.254.169.254/", "http://metadata.google.internal/", "http://[fd00:ec2::254]/"])
      await assert.rejects(
        httpRequest({ method: "GET", url }, { allow }),
        /cloud metadata endpoints are never allowed/,
      );
});

test("CLINIKO_FLOW_HTTP_ALLOW lets chosen hosts, IPs and ranges through, and nothing else", async () => {
  hits.length = 0;
  const get = (url: string, allow: AllowList, lookup?: unknown) =>
    httpRequest({ method: "GET", url }, { allow, lookup: lookup as never });
  assert.equal((await get(`http://127.0.0.1:${port}/ip`, new AllowList("10.0.0.5, 127.0.0.1"))).status, 200);
  assert.equal((await get(`http://127.0.0.1:${port}/range`, new AllowList("127.0.0.0/8"))).status, 200);
  assert.equal(
    (await get(`http://crm.lan:${port}/host`, new AllowList("crm.lan"), resolvesTo("127.0.0.1"))).status,
    200,
  );
  await assert.rejects(get(`http://127.0.0.1:${port}/no`, new AllowList("10.0.0.5,crm.lan")), /loopback/);
  await assert.rejects(
    get(`http://other.lan:${port}/no`, new AllowList("crm.lan"), resolvesTo("127.0.0.1")),
    /refuses other\.lan \(127\.0\.0\.1\)/,
  );
  assert.throws(() => new AllowList("10.0.0.0/33"), /invalid prefix length/);
  // From the environment, as an operator sets it.
  process.env.CLINIKO_FLOW_HTTP_ALLOW = "crm.lan,127.0.0.1";
  try {
    assert.equal((await httpRequest({ method: "GET", url: `http://127.0.0.1:${port}/env` })).status, 200);
  } finally {
    delete process.env.CLINIKO_FLOW_HTTP_ALLOW;
  }
  await assert.rejects(httpRequest({ method: "GET", url: `http://127.0.0.1:${port}/env2` }), /loopback/);
  assert.deepEqual(hits, ["/ip", "/range", "/host", "/env"]);
});
