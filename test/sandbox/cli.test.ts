/** `cliniko-flow sandbox`: prints a URL, a key and a curl line that works; stops cleanly on SIGTERM. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const bin = fileURLToPath(new URL("../../bin/cliniko-flow.js", import.meta.url));

describe("cliniko-flow sandbox", () => {
  it("serves what it prints, then stops on SIGTERM with exit code 0", async () => {
    const child = spawn(process.execPath, [bin, "sandbox", "--port", "0", "--seed", "empty"], {
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
    assert.ok(Array.isArray(((await res.json()) as { patients: unknown[] }).patients));
    assert.match(out, /listening on http:\/\/127\.0\.0\.1:\d+\/v1/);
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
