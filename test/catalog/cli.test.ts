/** The catalogue verbs of the CLI, spawned as a user would, against the sandbox over HTTP. */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { actions as catalogActions, triggers as catalogTriggers } from "../../src/catalog/index.ts";
import { openStore } from "../../src/store/index.ts";
import { type Fixture, openSandbox, pick } from "./support.ts";

const BIN = fileURLToPath(new URL("../../bin/cliniko-flow.js", import.meta.url));

let fx: Fixture;
let dir: string;
before(async () => {
  fx = await openSandbox();
  dir = mkdtempSync(join(tmpdir(), "catalog-cli-"));
});
after(async () => {
  await fx.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI asynchronously (the sandbox lives in this process and must keep answering). */
function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const base = {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    CLINIKO_API_KEY: fx.sb.apiKey,
    CLINIKO_EMAIL: "tests@clinic.example",
    CLINIKO_BASE_URL: fx.sb.baseUrl,
    // The sandbox lives in this test's process, not the CLI's: the operator's exception.
    CLINIKO_FLOW_HTTP_ALLOW: "127.0.0.1",
    LOG_LEVEL: "silent",
  };
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...base, ...env } }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code: typeof code === "number" ? code : 1, stdout, stderr });
    });
  });
}

describe("cliniko-flow actions / triggers", () => {
  it("prints the catalogue as JSON and as a grouped table", async () => {
    const [actionsJson, triggersJson, table] = await Promise.all([
      cli(["actions", "--json"]),
      cli(["triggers", "--json"]),
      cli(["triggers"]),
    ]);
    const actions = JSON.parse(actionsJson.stdout) as Record<string, unknown>[];
    assert.equal(actions.length, catalogActions.length);
    assert.equal(actions.filter((a) => a.source === "brief").length, 98);
    assert.equal(actions.find((a) => a.key === "unarchive_patient")?.source, "api");
    for (const field of [
      "key",
      "title",
      "source",
      "group",
      "kind",
      "description",
      "inputSchema",
      "method",
      "path",
      "documented",
    ])
      assert.ok(field in actions[0]!, field);
    assert.equal(actions.find((a) => a.key === "create_concession_price")?.documented, false);
    const triggers = JSON.parse(triggersJson.stdout) as Record<string, unknown>[];
    assert.equal(triggers.length, catalogTriggers.length);
    assert.equal(triggers.filter((t) => t.source === "brief").length, 36);
    assert.deepEqual(
      { resource: triggers[0]!.resource, event: triggers[0]!.event },
      { resource: "attendees", event: "new" },
    );
    assert.match(table.stdout, /^Patients & Contacts\n {2}new_patient +new +\/patients/m);
  });
});

describe("cliniko-flow action run", () => {
  it("prints the result as JSON (exit 0), reading --input inline or from a file", async () => {
    const ok = await cli(["action", "run", "create_patient", "--input", '{"first_name":"Zed","last_name":"Quill"}']);
    assert.equal(ok.code, 0, ok.stderr);
    const created = JSON.parse(ok.stdout) as { id: string; first_name: string };
    assert.equal(created.first_name, "Zed");
    assert.ok(fx.row("patients", created.id));
    const file = join(dir, "input.json");
    writeFileSync(file, JSON.stringify({ id: created.id }));
    const found = await cli(["action", "run", "find_patient", "--input", `@${file}`]);
    assert.equal(found.code, 0, found.stderr);
    assert.equal(JSON.parse(found.stdout).id, created.id);
  });

  it("exits 2 for invalid input, with the fields, and sends nothing", async () => {
    fx.clearLog();
    const [bad, json, unknown] = await Promise.all([
      cli(["action", "run", "create_patient", "--input", '{"first_name":"Zed","dob":"x"}']),
      cli(["action", "run", "create_patient", "--input", "{nope"]),
      cli(["action", "run", "create_patinet"]),
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^error: Invalid input for create_patient: /);
    assert.match(bad.stderr, /last_name: is required/);
    assert.match(bad.stderr, /unknown field/);
    for (const issue of ["last_name: is required", "unknown field"])
      assert.equal(bad.stderr.split(issue).length - 1, 1, `"${issue}" is printed once:\n${bad.stderr}`);
    assert.equal(json.code, 2);
    assert.match(json.stderr, /--input is not valid JSON/);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /did you mean "create_patient"/);
    assert.deepEqual(fx.requests(), []);
  });

  it("exits 1 with one sentence for Cliniko's refusals (422 with its fields, unsupported write)", async () => {
    const [rejected, concession] = await Promise.all([
      cli([
        "action",
        "run",
        "create_medical_alert",
        "--input",
        JSON.stringify({ patient_id: "424242", name: "Allergy" }),
      ]),
      cli([
        "action",
        "run",
        "create_concession_price",
        "--input",
        JSON.stringify({ billable_item_id: "1", concession_type_id: "2", price: "10.00" }),
      ]),
    ]);
    assert.equal(rejected.code, 1);
    assert.match(rejected.stderr, /^error: Cliniko rejected the medical alert: patient/);
    assert.equal(concession.code, 1);
    assert.equal(
      concession.stderr.split("\n")[0],
      "error: The Cliniko API does not support creating concession prices.",
    );
  });
});

describe("--connection NAME", () => {
  it("runs actions and polls with a stored connection instead of the environment; an unknown name exits 2", async () => {
    const env = { DATABASE_URL: `sqlite:${join(dir, "flow.db")}` };
    const store = await openStore({ env });
    try {
      await store.connections.save({
        name: "clinic",
        apiKey: fx.sb.apiKey,
        email: "ops@clinic.example",
        baseUrl: fx.sb.baseUrl,
      });
    } finally {
      await store.close();
    }
    fx.tick();
    const since = fx.sb.clock.iso();
    fx.tick();
    const created = fx.sb.control.create("patients");
    // The environment's key is wrong: only the stored connection's key can succeed.
    const wrong = { ...env, CLINIKO_API_KEY: "wrong-key-au1", CLINIKO_BASE_URL: "http://127.0.0.1:9/v1" };
    const [found, polled, unknown] = await Promise.all([
      cli(
        ["action", "run", "find_patient", "--input", JSON.stringify({ id: created.id }), "--connection", "clinic"],
        wrong,
      ),
      cli(["trigger", "poll", "new_patient", "--since", since, "--connection", "clinic"], wrong),
      cli(["action", "run", "find_patient", "--input", '{"id":"1"}', "--connection", "nope"], wrong),
    ]);
    assert.equal(found.code, 0, found.stderr);
    assert.equal(JSON.parse(found.stdout).id, created.id);
    assert.equal(polled.code, 0, polled.stderr);
    assert.deepEqual(
      polled.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).record.id),
      [created.id],
    );
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr, 'error: No connection named "nope" (see `cliniko-flow connections list`).\n');
  });
});

describe("cliniko-flow trigger poll", () => {
  it("prints the events since --since as JSON lines", async () => {
    fx.tick();
    const since = fx.sb.clock.iso();
    fx.tick();
    const contact = pick(fx.live("contacts"));
    fx.sb.control.update("contacts", contact.id, { occupation: "Physio" });
    const created = fx.sb.control.create("contacts");
    const [out, fresh, bad] = await Promise.all([
      cli(["trigger", "poll", "updated_contact", "--since", since]),
      cli(["trigger", "poll", "new_contact", "--since", since]),
      cli(["trigger", "poll", "new_contact", "--since", "yesterday"]),
    ]);
    assert.equal(out.code, 0, out.stderr);
    const events = out.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { trigger: string; key: string; record: { id: string } });
    assert.deepEqual(
      events.map((e) => [e.trigger, e.record.id]),
      [["updated_contact", contact.id]],
    );
    assert.deepEqual(
      fresh.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).record.id),
      [created.id],
    );
    assert.equal(bad.code, 2);
  });
});
