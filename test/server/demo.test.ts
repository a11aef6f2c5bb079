import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ClientProvider } from "../../src/engine/clients.ts";
import { InProcessQueue } from "../../src/engine/queue.ts";
import { createLogger } from "../../src/log.ts";
import { DEMO_WORKFLOW } from "../../src/server/demo.ts";
import { startHttp } from "../../src/server/http.ts";
import { openStore } from "../../src/store/index.ts";

test("serve --demo: sandbox connection, one active example workflow, a printed URL and login that survive a restart", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cf-demo-"));
  const env = {
    DATABASE_URL: `sqlite:${join(dir, "flow.db")}`,
    CLINIKO_FLOW_DATA_DIR: dir,
    CLINIKO_FLOW_RATE_LIMIT: "0",
  };
  const logger = createLogger({ level: "silent" });
  const start = async () => {
    const store = await openStore({ env });
    const lines: string[] = [];
    const service = { store, clients: new ClientProvider(store, { env }), queue: new InProcessQueue(store), logger };
    const http = await startHttp(service, { port: 0, demo: true }, env, (l) => lines.push(l));
    return { store, lines, http };
  };
  const first = await start();
  try {
    const password = /password: (\S+)/.exec(first.lines.join("\n"))?.[1];
    assert.ok(password, first.lines.join("\n"));
    assert.match(first.lines[0]!, /^cliniko-flow is running at http:\/\/127\.0\.0\.1:\d+$/);
    const login = await fetch(`${first.http.url}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ password }),
    });
    assert.equal(login.status, 200);
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0]!;
    const workflows = (await (await fetch(`${first.http.url}/api/workflows`, { headers: { cookie } })).json()) as {
      name: string;
      enabled: boolean;
    }[];
    assert.deepEqual(
      workflows.map((w) => [w.name, w.enabled]),
      [[DEMO_WORKFLOW.name, true]],
    );
    const tested = await fetch(`${first.http.url}/api/connections/demo/test`, {
      method: "POST",
      headers: { cookie, "x-cliniko-flow": "1" },
    });
    assert.equal(((await tested.json()) as { ok: boolean }).ok, true);
    await first.http.stop();
    await first.store.close();
    // The demo password file is owner-only, and set back to that when found looser.
    const passwordFile = join(dir, "demo-password.txt");
    assert.equal(statSync(passwordFile).mode & 0o777, 0o600);
    chmodSync(passwordFile, 0o644);

    const second = await start();
    assert.equal(/password: (\S+)/.exec(second.lines.join("\n"))?.[1], password);
    assert.equal(statSync(passwordFile).mode & 0o777, 0o600);
    assert.equal((await second.store.workflows.list()).length, 1);
    await second.http.stop();
    await second.store.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
