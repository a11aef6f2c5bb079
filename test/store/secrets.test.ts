import assert from "node:assert/strict";
import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { openStore } from "../../src/store/index.ts";
import { loadCipher, SECRET_FILE } from "../../src/store/secrets.ts";

const root = mkdtempSync(join(tmpdir(), "cf-secrets-"));
after(() => rmSync(root, { recursive: true, force: true }));
const mode = (path: string) => statSync(path).mode & 0o777;

test("each encryption uses a fresh nonce, and the envelope is authenticated", () => {
  const cipher = loadCipher(join(root, "nonce"), {});
  const a = cipher.encrypt("MS0xLTEyMzQ1-au2");
  const b = cipher.encrypt("MS0xLTEyMzQ1-au2");
  assert.notEqual(a.split(":")[1], b.split(":")[1], "a nonce was reused");
  assert.equal(cipher.decrypt(a), "MS0xLTEyMzQ1-au2");
  const [format, iv, tag, ct] = a.split(":") as [string, string, string, string];
  const flipped = Buffer.from(ct, "base64");
  flipped[0]! ^= 1;
  assert.throws(() => cipher.decrypt([format, iv, tag, flipped.toString("base64")].join(":")), /cannot be decrypted/);
});

test("a truncated authentication tag is refused (short GCM tags can be forged)", () => {
  const cipher = loadCipher(join(root, "tag"), {});
  const [format, iv, tag, ct] = cipher.encrypt("MS0xLTEyMzQ1-au2").split(":") as [string, string, string, string];
  const short = Buffer.from(tag, "base64").subarray(0, 4).toString("base64");
  assert.throws(() => cipher.decrypt([format, iv, short, ct].join(":")), /cannot be decrypted/);
});

test("CLINIKO_FLOW_SECRET: too short is refused; set, no key file is written", () => {
  const dir = join(root, "env");
  assert.throws(() => loadCipher(dir, { CLINIKO_FLOW_SECRET: "short" }), /at least 16/);
  const cipher = loadCipher(dir, { CLINIKO_FLOW_SECRET: "a-long-enough-random-secret" });
  assert.equal(cipher.source, "CLINIKO_FLOW_SECRET");
  assert.throws(() => statSync(join(dir, SECRET_FILE)), /ENOENT/);
});

test("the key file, data directory and SQLite database are the owner's only", async () => {
  const dir = join(root, "fresh");
  const store = await openStore({ env: { DATABASE_URL: `sqlite:${join(dir, "flow.db")}` } });
  await store.close();
  assert.equal(mode(dir), 0o700);
  assert.equal(mode(join(dir, SECRET_FILE)), 0o600);
  assert.equal(mode(join(dir, "flow.db")), 0o600);
});

test("a key file or database left readable by others is tightened on open", async () => {
  const dir = join(root, "loose");
  const first = await openStore({ env: { DATABASE_URL: `sqlite:${join(dir, "flow.db")}` } });
  await first.close();
  chmodSync(join(dir, SECRET_FILE), 0o644);
  chmodSync(join(dir, "flow.db"), 0o644);
  const again = await openStore({ env: { DATABASE_URL: `sqlite:${join(dir, "flow.db")}` } });
  await again.close();
  assert.equal(mode(join(dir, SECRET_FILE)), 0o600);
  assert.equal(mode(join(dir, "flow.db")), 0o600);
});
