/**
 * compose.demo.yaml as an operator runs it: the single container with `serve --demo` on its named
 * volume comes up healthy, prints the admin password, and after `down` and `up` again (a new
 * container) the same volume gives the same password and the example workflow.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { Api, compose, freePort, IMAGE, podman, podmanQuiet, waitFor } from "./podman.ts";

const root = new URL("../../", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "cf-demo-"));
const project = `cfdemo${randomBytes(3).toString("hex")}`;
const files = ["compose.demo.yaml"];

after(async () => {
  await compose(dir, project, files, ["down", "-v", "-t", "5"]).catch(() => {});
  await podmanQuiet("network", "rm", `${project}_default`);
  rmSync(dir, { recursive: true, force: true });
});

test("compose.demo.yaml: the demo in one container, its password and workflow kept on the volume across down and up", async () => {
  copyFileSync(join(root, "compose.demo.yaml"), join(dir, "compose.demo.yaml"));
  const port = await freePort();
  writeFileSync(join(dir, ".env"), `CLINIKO_FLOW_IMAGE=${IMAGE}\nCLINIKO_FLOW_PORT=${port}\n`);
  const api = new Api(`http://127.0.0.1:${port}`);
  const container = `${project}_cliniko-flow_1`;
  const password = async () => {
    await waitFor("/healthz", () => api.healthy(), 120_000);
    const out = await podman("logs", container);
    return /log in with the password: (\S+)/.exec(out)?.[1];
  };

  await compose(dir, project, files, ["up", "-d"]);
  const first = await password();
  assert.ok(first, "the log shows the generated admin password");
  assert.equal(await podman("inspect", "--format", "{{.HostConfig.ReadonlyRootfs}}", container), "true");
  await compose(dir, project, files, ["down", "-t", "40"]);

  await compose(dir, project, files, ["up", "-d"]);
  assert.equal(await password(), first);
  await api.login(first!);
  const workflows = await api.get<{ name: string; enabled: boolean }[]>("/api/workflows");
  assert.deepEqual(
    workflows.map((w) => w.enabled),
    [true],
  );
});
