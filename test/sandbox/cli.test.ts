/** `cliniko-flow sandbox`: prints a URL, a key and a curl line that works; stops cleanly on SIGTERM. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../../bin/cliniko-flow.js", import.meta.url));

describe("cliniko-flow sandbox", () => {
  it("serves the demo clinic it prints, with a working curl line, then stops on SIGTERM with exit code 0", async () => {
    const child = spawn(process.execPath, [bin, "sandbox", "--port", "0", "--seed", "demo"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.setEncoding("utf8");
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk: string) => {
        out += chunk;
        if (out.includes("Ctrl+C")) resolve();
      });
      child.on("exit", () => reject(new Error(`exited early: ${out}`)));
    });
    const url = /curl -u '([^']+):' -H 'User-Agent: ([^']+)' -H 'Accept: application\/json' '([^']+)'/.exec(out);
    assert.ok(url, out);
    const [, key, userAgent, target] = url;
    const res = await fetch(target!, {
      headers: { Authorization: `Basic ${Buffer.from(`${key}:`).toString("base64")}`, "User-Agent": userAgent! },
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { patients: unknown[]; total_entries: number };
    assert.equal(body.patients.length, 2, "the curl line asks for two demo patients");
    assert.ok(body.total_entries >= 250);
    assert.match(out, /listening on http:\/\/127\.0\.0\.1:\d+\/v1/);
    assert.ok(out.includes(`API key:   ${key}\n`), "the key is printed on its own line");
    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    assert.equal(code, 0);
    assert.match(out, /Sandbox stopped/);
  });

  it("refuses an unknown seed with exit code 2", async () => {
    const child = spawn(process.execPath, [bin, "sandbox", "--seed", "galaxy"], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (c: string) => {
      err += c;
    });
    const [code] = await once(child, "exit");
    assert.equal(code, 2);
    assert.match(err, /--seed must be demo or empty/);
  });
});
