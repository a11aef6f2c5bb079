import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type Harness, harness, runner, workflow } from "./helpers.ts";

const bin = fileURLToPath(new URL("../../bin/cliniko-flow.js", import.meta.url));
let h: Harness;
before(async () => {
  h = await harness();
});
after(async () => {
  await h.close();
});

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

function cli(
  args: string[],
  extraEnv: NodeJS.ProcessEnv = {},
  stdin?: string,
): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { env: { ...h.env, ...extraEnv }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ status: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(stdin ?? "");
  });
}

test("connections add|list|test|remove keep the key out of every output", async () => {
  const key = h.sandbox.apiKey;
  const add = await cli([
    "connections",
    "add",
    "main",
    "--api-key",
    key,
    "--email",
    "ops@clinic.test",
    "--base-url",
    h.sandbox.baseUrl,
  ]);
  assert.equal(add.status, 0, add.stderr);
  const list = await cli(["connections", "list", "--json"]);
  assert.equal((JSON.parse(list.stdout) as { name: string }[])[0]!.name, "main");
  const tested = await cli(["connections", "test", "main"]);
  assert.equal(tested.status, 0, tested.stderr);
  assert.match(tested.stdout, /Connection "main" works/);
  for (const out of [add, list, tested]) assert.ok(!(out.stdout + out.stderr).includes(key));
  // A closed port and a server that hangs up answer the same one sentence, as the API's test
  // does: the CLI's test cannot map which hosts and ports answer either.
  const closed = await closedPort();
  const hangUp = createServer((socket) => socket.destroy());
  await new Promise<void>((r) => hangUp.listen(0, "127.0.0.1", r));
  const unreachable: string[] = [];
  for (const [name, port] of [
    ["closed", closed],
    ["hangup", (hangUp.address() as AddressInfo).port],
  ] as const) {
    const baseUrl = `http://127.0.0.1:${port}/v1`;
    const added = await cli([
      "connections",
      "add",
      name,
      "--api-key",
      key,
      "--email",
      "ops@clinic.test",
      "--base-url",
      baseUrl,
    ]);
    assert.equal(added.status, 0, added.stderr);
    const t = await cli(["connections", "test", name]);
    assert.equal(t.status, 1, t.stdout);
    assert.match(t.stderr, /Cliniko could not be reached: check the host and port/);
    assert.ok(!/ECONN|socket|hang up|:\d+/.test(t.stderr), t.stderr);
    unreachable.push(t.stderr.replace(name, "NAME"));
    assert.equal((await cli(["connections", "remove", name])).status, 0);
  }
  hangUp.close();
  assert.equal(unreachable[0], unreachable[1]);
  const bad = await cli(["connections", "add", "x", "--api-key", key, "--email", "not-an-email"]);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /does not look like an email/);
  // A base URL inside the network is refused with the API's sentence, even with loopback allowed
  // for metadata, and without CLINIKO_FLOW_HTTP_ALLOW for the rest; nothing is stored.
  for (const [baseUrl, env, why] of [
    ["http://169.254.169.254/v1", {}, /cloud metadata endpoints are never allowed/],
    ["http://0x7f000001:4010/v1", { CLINIKO_FLOW_HTTP_ALLOW: "" }, /loopback/],
    ["http://10.0.0.5/v1", { CLINIKO_FLOW_HTTP_ALLOW: "" }, /private network/],
  ] as const) {
    const inside = await cli(
      ["connections", "add", "inside", "--api-key", key, "--email", "ops@clinic.test", "--base-url", baseUrl],
      env,
    );
    assert.equal(inside.status, 1, baseUrl);
    assert.match(inside.stderr, /The Cliniko base URL points where this server may not connect: /, baseUrl);
    assert.match(inside.stderr, why, baseUrl);
  }
  assert.deepEqual(
    (JSON.parse((await cli(["connections", "list", "--json"])).stdout) as { name: string }[]).map((c) => c.name),
    ["main"],
  );
  assert.equal((await cli(["connections", "remove", "main"])).status, 0);
  assert.equal((await cli(["connections", "remove", "main"])).status, 1);
});

test("connections add --api-key - reads the key from standard input, keeping it out of argv", async () => {
  const key = h.sandbox.apiKey;
  const args = ["connections", "add", "piped", "--api-key", "-", "--email", "ops@clinic.test"];
  const add = await cli([...args, "--base-url", h.sandbox.baseUrl], {}, `${key}\n`);
  assert.equal(add.status, 0, add.stderr);
  const tested = await cli(["connections", "test", "piped"]);
  assert.equal(tested.status, 0, tested.stderr);
  assert.equal((await cli(args, {}, "")).status, 2, "an empty standard input is a usage error");
  assert.equal((await cli(["connections", "remove", "piped"])).status, 0);
});

test("workflows import|list|disable|enable|export, with file errors pointing at the line", async () => {
  const file = join(h.dir, "wf.yaml");
  writeFileSync(
    file,
    "name: CLI flow\ntrigger: { key: new_patient, every: 2m }\nsteps:\n  - id: a\n    action: filter\n    input: { condition: true }\n",
  );
  const imported = await cli(["workflows", "import", "--enable", file]);
  assert.equal(imported.status, 0, imported.stderr);
  assert.match(imported.stdout, /CLI flow: imported \(version 1, enabled\)/);
  assert.match((await cli(["workflows", "disable", "CLI flow"])).stdout, /disabled/);
  const listed = JSON.parse((await cli(["workflows", "list", "--json"])).stdout) as {
    name: string;
    enabled: boolean;
  }[];
  assert.deepEqual(
    listed.map((w) => [w.name, w.enabled]),
    [["CLI flow", false]],
  );
  assert.equal((await cli(["workflows", "enable", "CLI flow", "--since", "yesterday"])).status, 2);
  const exported = await cli(["workflows", "export", "CLI flow", "--format", "json"]);
  assert.equal(JSON.parse(exported.stdout).trigger.every, "2m");
  writeFileSync(file, "name: CLI flow\ntrigger: { key: new_patient }\nsteps:\n  - id: a\n    action: nope\n");
  const invalid = await cli(["workflows", "import", file]);
  assert.equal(invalid.status, 2);
  assert.match(invalid.stderr, /steps\[0\]\.action \(line 5, column \d+\): Unknown action "nope"/);
});

test("workflows enable and import refuse a workflow that could not run, naming each field (exit 2)", async () => {
  const file = join(h.dir, "gaps.yaml");
  writeFileSync(
    file,
    [
      "name: Gaps",
      "trigger: { key: individual_appointment_cancelled }",
      "steps:",
      "  - id: alert",
      "    action: create_medical_alert",
      "    connection: front_desk",
      '    input: { patient_id: "", name: "{{ trigger.no_such_field }}" }',
      "",
    ].join("\n"),
  );
  // Switched on by import: refused, nothing stored.
  const live = await cli(["workflows", "import", "--enable", file]);
  assert.equal(live.status, 2, live.stderr);
  // It says so: the message used to say "it stays switched off", as though it had been stored.
  assert.match(
    live.stderr,
    /cannot be switched on yet: 3 fields to fix \(nothing was imported; the stored workflows are as they were\)/,
  );
  // Numbered as the editor numbers steps (from 1), as the API's `where` and the MCP tools say it.
  assert.match(live.stderr, /\n {2}Step 1 · Patient is required\n/);
  assert.match(live.stderr, /\n {2}Step 1 · There is no connection named "front_desk"/);
  assert.match(
    live.stderr,
    /\n {2}Step 1 · The trigger \(Individual Appointment Cancelled\) has no field "no_such_field"/,
  );
  assert.doesNotMatch(live.stderr, /steps\[0\]/);
  assert.equal(await h.store.workflows.find("Gaps"), undefined, "a refused import --enable stores nothing");
  // A draft saves; enabling it is refused the same way until it is fixed, and it stays off at version 1.
  assert.equal((await cli(["workflows", "import", file])).status, 0);
  const enable = await cli(["workflows", "enable", "Gaps"]);
  assert.equal(enable.status, 2);
  assert.match(enable.stderr, /\n {2}Step 1 · Patient is required\n/);
  const draft = await h.store.workflows.get("Gaps");
  assert.deepEqual([draft.enabled, draft.version], [false, 1]);
  writeFileSync(
    file,
    [
      "name: Gaps",
      "trigger: { key: individual_appointment_cancelled }",
      "steps:",
      "  - id: alert",
      "    action: create_medical_alert",
      '    input: { patient_id: "{{ trigger.patient }}", name: "Cancelled {{ trigger.starts_at }}" }',
      "",
    ].join("\n"),
  );
  assert.equal((await cli(["workflows", "import", "--disabled", file])).status, 0);
  const fixed = await cli(["workflows", "enable", "Gaps"]);
  assert.equal(fixed.status, 0, fixed.stderr);
});

test("workflows import leaves a new workflow off unless --enable; a new version keeps its switch", async () => {
  const file = join(h.dir, "exported.yaml");
  const yaml = (every: string) =>
    `name: Exported copy\ntrigger: { key: new_patient, every: ${every} }\nsteps:\n  - id: a\n    action: filter\n    input: { condition: true }\n`;
  writeFileSync(file, yaml("1m"));
  const off = await cli(["workflows", "import", file]);
  assert.equal(off.status, 0, off.stderr);
  assert.match(off.stdout, /Exported copy: imported \(version 1, disabled\); switch it on with `workflows enable`/);
  assert.equal((await h.store.workflows.get("Exported copy")).enabled, false);
  assert.equal((await cli(["workflows", "enable", "Exported copy"])).status, 0);
  writeFileSync(file, yaml("5m"));
  const update = await cli(["workflows", "import", file]);
  assert.match(update.stdout, /Exported copy: updated \(version 2, enabled\)/);
  assert.equal((await cli(["workflows", "import", "--enable", "--disabled", file])).status, 2);
  assert.equal((await cli(["workflows", "disable", "Exported copy"])).status, 0);
});

test("import --template without --connection uses the only Cliniko connection and says so; with several it exits 2", async () => {
  const env = { CLINIKO_API_KEY: "" };
  const add = (name: string) =>
    cli([
      "connections",
      "add",
      name,
      "--api-key",
      h.sandbox.apiKey,
      "--email",
      "ops@clinic.test",
      "--base-url",
      h.sandbox.baseUrl,
    ]);
  assert.equal((await add("only")).status, 0);
  const one = await cli(["workflows", "import", "--template", "new-patient-welcome"], env);
  assert.equal(one.status, 0, one.stderr);
  assert.match(one.stdout, /Using the Cliniko connection "only" \(the only one\)/);
  assert.match(one.stdout, /imported \(version 1, disabled\)/);
  assert.equal((await add("second")).status, 0);
  const two = await cli(["workflows", "import", "--template", "patient-birthdays"], env);
  assert.equal(two.status, 2);
  assert.match(two.stderr, /There are 2 Cliniko connections \(only, second\): name one with --connection/);
  for (const name of ["only", "second"]) assert.equal((await cli(["connections", "remove", name])).status, 0);
});

test("a template reading an unset setting is refused naming it (exit 2), and switches on once it is set", async () => {
  const args = ["workflows", "import", "--template", "cancelled-appointment-front-desk", "--enable"];
  const refused = await cli(args);
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(refused.stderr, /The setting FLOW_FRONT_DESK_WEBHOOK_URL is not set: add it under Settings/);
  await h.store.settings.set("FLOW_FRONT_DESK_WEBHOOK_URL", "https://hooks.example.test/front-desk", false);
  const on = await cli(args);
  assert.equal(on.status, 0, on.stderr);
  assert.match(on.stdout, /imported \(version 1, enabled\)/);
  assert.equal((await cli(["workflows", "disable", "Cancelled appointment to front desk"])).status, 0);
  await h.store.settings.remove("FLOW_FRONT_DESK_WEBHOOK_URL");
});

test("a bad DATABASE_URL is a usage error with one clear sentence", async () => {
  const r = await cli(["workflows", "list"], { DATABASE_URL: "mysql://u:hunter2@h/db" });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /unsupported scheme "mysql:"/);
  assert.ok(!r.stderr.includes("hunter2"));
});

test("workflows import refuses a file over 1 MiB before reading it, with exit 2 and one sentence", async () => {
  const file = join(h.dir, "huge.yaml");
  // 60 MB of YAML took 2.5 GB of memory to parse; this one is refused by its size alone.
  writeFileSync(
    file,
    `name: huge\ntrigger: { key: new_patient }\nsteps:\n${"  - { id: s, action: filter }\n".repeat(80_000)}`,
  );
  const r = await cli(["workflows", "import", file]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /at most 1 MiB/);
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
});

test("runs replay uses the current version once the failed step is fixed; --ran keeps the version it ran", async () => {
  const broken = workflow({
    trigger: { key: "new_patient" },
    steps: [{ id: "check", action: "filter", input: { condition: "{{ $nosuch(trigger.id) }}" } }],
  });
  const w = await h.store.workflows.save(broken.name, broken);
  const failed = await h.store.runs.enqueue({
    workflowId: w.id,
    workflowVersion: w.version,
    triggerKey: "new_patient",
    eventKey: "cli-replay",
    payload: { id: "1" },
  });
  const run = (await h.store.runs.find(failed))!;
  assert.ok(await h.store.runs.claim(run, "test", 60_000));
  await runner(h).execute(run, "test");
  assert.equal((await h.store.runs.find(failed))!.status, "failed");
  await h.store.workflows.save(broken.name, {
    ...broken,
    steps: [{ id: "check", action: "filter", input: { condition: "{{ trigger.id = '1' }}" } }],
  });

  const byDefault = await cli(["runs", "replay", String(failed)]);
  assert.equal(byDefault.status, 0, byDefault.stderr + byDefault.stdout);
  assert.match(
    byDefault.stdout,
    /Replaying on version 2 \(the current version\): Step check failed and has been changed/,
  );
  assert.match(byDefault.stdout, /: succeeded/);
  const ran = await cli(["runs", "replay", String(failed), "--ran"]);
  assert.equal(ran.status, 1);
  assert.match(ran.stdout, /Replaying on version 1 \(the version it ran\)/);
  assert.match(ran.stdout, /: failed/);
  const current = await cli(["runs", "replay", String(failed), "--current", "--no-wait"]);
  assert.match(current.stdout, /version 2 \(the current version\)/);
  assert.equal((await cli(["runs", "replay", String(failed), "--current", "--ran"])).status, 2);
});
