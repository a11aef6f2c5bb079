/**
 * Node-RED as a comparison engine for `npm run bench -- webhook`: its http-in → http-request →
 * http-response flow, the same work as a one-step webhook run (a GET of one patient from the
 * sandbox) without a journal. It is not a dependency of the project: the bench installs a pinned
 * version with npm into a cache directory the first time (BENCH_NODE_RED_VERSION, default below;
 * BENCH_CACHE_DIR, default ~/.cache/cliniko-flow/bench), and BENCH_NODE_RED=0 leaves it out.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { join } from "node:path";
import { sleep } from "./support.ts";

const VERSION = process.env.BENCH_NODE_RED_VERSION ?? "5.0.7";

/** Node-RED's directory in the cache, installed with npm if it is not there yet; undefined when it cannot be. */
export function nodeRedInstall(): string | undefined {
  if (process.env.BENCH_NODE_RED === "0") return undefined;
  const cache =
    process.env.BENCH_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "cliniko-flow", "bench");
  const dir = join(cache, `node-red@${VERSION}`);
  const red = join(dir, "node_modules", "node-red", "red.js");
  if (existsSync(red)) return red;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), '{ "private": true }\n');
  console.log(`   installing node-red@${VERSION} into ${dir} (once) …`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const res = spawnSync(
    npm,
    ["install", "--no-audit", "--no-fund", "--omit=dev", "--no-save", "--loglevel=error", `node-red@${VERSION}`],
    { cwd: dir, stdio: ["ignore", "inherit", "inherit"] },
  );
  if (res.status !== 0 || !existsSync(red)) {
    console.log(`   node-red could not be installed (npm exited ${res.status}); it is left out of this run`);
    return undefined;
  }
  return red;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts Node-RED (editor and admin API off, logging at warn) with one flow: POST /hook reads
 * `{"id": …}`, GETs that patient from the sandbox on a keep-alive connection with the same headers
 * the engine sends, and answers with it. Resolves once a post gets its answer.
 */
export async function startNodeRed(red: string, o: { baseUrl: string; headers: Record<string, string> }) {
  const dir = join(process.env.BENCH_NODE_RED_DIR ?? join(red, "..", "..", ".."), `run-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const headers = Object.entries(o.headers).map(([k, v]) => ({
    keyType: "other",
    keyValue: k,
    valueType: "other",
    valueValue: v,
  }));
  const flows = [
    { id: "bench", type: "tab", label: "bench" },
    { id: "in", z: "bench", type: "http in", url: "/hook", method: "post", upload: false, wires: [["get"]] },
    {
      id: "get",
      z: "bench",
      type: "http request",
      method: "GET",
      ret: "obj",
      paytoqs: "ignore",
      url: `${o.baseUrl}/patients/{{{payload.id}}}`,
      persist: true,
      authType: "",
      senderr: false,
      headers,
      wires: [["out"]],
    },
    { id: "out", z: "bench", type: "http response", statusCode: "", headers: {}, wires: [] },
  ];
  writeFileSync(join(dir, "flows.json"), JSON.stringify(flows));
  writeFileSync(
    join(dir, "settings.js"),
    `module.exports = ${JSON.stringify({
      uiPort: port,
      uiHost: "127.0.0.1",
      flowFile: "flows.json",
      userDir: dir,
      httpAdminRoot: false,
      credentialSecret: false,
      logging: { console: { level: "warn", metrics: false, audit: false } },
      externalModules: { autoInstall: false },
      diagnostics: { enabled: false },
      telemetry: { enabled: false },
    })};\n`,
  );
  const child = spawn(process.execPath, [red, "--settings", join(dir, "settings.js"), "--userDir", dir], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  child.stderr!.on("data", (d) => {
    err = (err + d).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}/hook`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`node-red exited (${child.exitCode}): ${err}`);
    const ok = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })
      .then((r) => r.text().then(() => r.status < 500))
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`node-red did not answer in 60 s: ${err}`);
    await sleep(200);
  }
  return {
    url,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
