/**
 * `serve --demo`: the sandbox clinic, a connection to it and one active example workflow, so a
 * newcomer sees the product work before touching a real Cliniko account. The sandbox keeps its
 * state in the data directory, so the clinic (and the workflow's cursor) survive restarts.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tightenMode, writePrivateFile } from "../private-file.ts";
import type { Sandbox } from "../sandbox/index.ts";
import type { Store } from "../store/index.ts";
import { type AuthStore, generatePassword } from "./auth.ts";

export const DEMO_CONNECTION = "demo";
export const DEMO_EMAIL = "demo@example.com";
export const DEMO_WORKFLOW = {
  name: "Flag new patients for intake",
  trigger: { key: "new_patient", connection: DEMO_CONNECTION, every: "30s" },
  steps: [
    {
      id: "alert",
      action: "create_medical_alert",
      connection: DEMO_CONNECTION,
      input: { patient_id: "{{ trigger.id }}", name: "Intake form pending for {{ trigger.first_name }}" },
    },
  ],
};

export interface DemoSandbox {
  baseUrl: string;
  apiKey: string;
  /** The running sandbox itself: the Demo clinic page changes it in process. */
  sandbox: Sandbox;
  stop(): Promise<void>;
}

/**
 * Starts the sandbox on the port the demo connection already names when it is free, so the
 * scheduler's first polls after a restart reach it; otherwise on any free port.
 */
export async function startDemoSandbox(dataDir: string, store?: Store): Promise<DemoSandbox> {
  const { startSandbox } = await import("../sandbox/index.ts");
  const previous = await store?.connections.find(DEMO_CONNECTION);
  const port = Number(previous?.baseUrl ? new URL(previous.baseUrl).port : 0) || 0;
  const options = { seed: "demo" as const, dataFile: join(dataDir, "sandbox.json") };
  const sandbox = await startSandbox({ ...options, port }).catch((err: NodeJS.ErrnoException) => {
    if (port && err.code === "EADDRINUSE") return startSandbox({ ...options, port: 0 });
    throw err;
  });
  return { baseUrl: sandbox.baseUrl, apiKey: sandbox.apiKey, sandbox, stop: () => sandbox.stop() };
}

/** Points the demo connection at this run's sandbox and adds the example workflow once. */
export async function prepareDemo(store: Store, sandbox: { baseUrl: string; apiKey: string }): Promise<void> {
  await store.connections.save(
    { name: DEMO_CONNECTION, apiKey: sandbox.apiKey, email: DEMO_EMAIL, baseUrl: sandbox.baseUrl },
    "demo",
  );
  if (!(await store.workflows.find(DEMO_WORKFLOW.name)))
    await store.workflows.save(DEMO_WORKFLOW.name, DEMO_WORKFLOW, { enabled: true, actor: "demo" });
}

/**
 * The demo login: a generated password kept (mode 0600) in the data directory so every start
 * can print it again, unless the operator chose their own password.
 */
export async function demoPassword(auth: AuthStore, dataDir: string): Promise<string | undefined> {
  const file = join(dataDir, "demo-password.txt");
  if (existsSync(file)) {
    tightenMode(file);
    const saved = readFileSync(file, "utf8").trim();
    if (await auth.checkPassword(saved)) return saved;
    if (await auth.hasPassword()) return undefined;
  } else if (await auth.hasPassword()) return undefined;
  const password = generatePassword();
  await auth.setPassword(password);
  writePrivateFile(file, `${password}\n`);
  return password;
}
