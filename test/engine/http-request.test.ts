/**
 * SSRF: `http.request` must not reach the server's own services or the cloud metadata address,
 * whatever spelling the URL uses, and the check must hold on the address actually connected to.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, test } from "node:test";
import { httpRequest } from "../../src/engine/http-request.ts";

let server: Server;
let port: number;
const hits: string[] = [];

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

const loopbackSpellings = () => [
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

test("loopback, unspecified and link-local targets are refused in every spelling, before any byte is sent", async () => {
  for (const url of loopbackSpellings()) {
    await assert.rejects(
      httpRequest({ method: "GET", url }, { allowPrivate: false }),
      (err: Error & { maybeSent?: boolean }) => {
        assert.match(err.message, /refuses .*loopback and link-local addresses are blocked/, url);
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
