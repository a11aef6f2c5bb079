import assert from "node:assert/strict";
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { openDatabase, parseDatabaseUrl } from "../../src/store/database.ts";
import { openStore } from "../../src/store/index.ts";
import { migrator } from "../../src/store/migrations/index.ts";
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

/** The envelope format before the KDF: AES-256-GCM under one SHA-256 of the secret (a fixture of the old code). */
const legacyKey = (secret: string) => createHash("sha256").update(`cliniko-flow\0${secret}`).digest();
function legacySeal(secret: string, plain: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", legacyKey(secret), iv);
  c.setAAD(Buffer.from("cliniko-flow:connection-api-key"));
  const ct = Buffer.concat([c.update(plain, "utf8"), c.final()]);
  return ["v1", iv.toString("base64"), c.getAuthTag().toString("base64"), ct.toString("base64")].join(":");
}
function legacyOpen(secret: string, envelope: string): string {
  const [, iv, tag, ct] = envelope.split(":") as [string, string, string, string];
  const d = createDecipheriv("aes-256-gcm", legacyKey(secret), Buffer.from(iv, "base64"), { authTagLength: 16 });
  d.setAAD(Buffer.from("cliniko-flow:connection-api-key"));
  d.setAuthTag(Buffer.from(tag, "base64"));
  return Buffer.concat([d.update(Buffer.from(ct, "base64")), d.final()]).toString("utf8");
}

test("a database written with the SHA-256 key is migrated to the scrypt key and its API keys still decrypt", async () => {
  const secret = "an-old-deployment-secret-value";
  const dir = join(root, "kdf");
  const env = { DATABASE_URL: `sqlite:${join(dir, "flow.db")}`, CLINIKO_FLOW_SECRET: secret };
  // The database as the previous version left it: schema up to 0003, one key in the old format.
  const old = await openDatabase(parseDatabaseUrl(env.DATABASE_URL, env), { migrate: false });
  const migrated = await migrator(old.db as never, "sqlite").migrateTo("0003_server_auth_and_webhooks");
  assert.equal(migrated.error, undefined);
  const now = new Date().toISOString();
  const row = { email: "a@b.c", region: "au2", base_url: null, key_hint: "…-au2", created_at: now, updated_at: now };
  await old.db
    .insertInto("connections")
    .values([
      { ...row, name: "old", api_key_enc: legacySeal(secret, "MS0xLTEyMzQ1-au2") },
      { ...row, name: "foreign", api_key_enc: legacySeal("some-other-secret-value", "MS0xLTk5OTk5-au2") },
    ])
    .execute();
  await old.close();

  const store = await openStore({ env });
  try {
    assert.equal((await store.connections.get("old")).apiKey, "MS0xLTEyMzQ1-au2");
    const stored = await store.database.db.selectFrom("connections").select(["name", "api_key_enc"]).execute();
    const envelope = (name: string) => stored.find((r) => r.name === name)!.api_key_enc;
    assert.match(envelope("old"), /^v2:/, "re-encrypted by the migration");
    assert.throws(() => legacyOpen(secret, envelope("old")), "the new envelope does not open with the old derivation");
    // A key stored under another secret could not be read before and is left as it was.
    assert.match(envelope("foreign"), /^v1:/);
    await assert.rejects(store.connections.get("foreign"), /stored under another CLINIKO_FLOW_SECRET/);
    // The KDF parameters are stored: a random salt and scrypt's cost.
    const kdf = JSON.parse(
      (await store.database.db.selectFrom("secret_kdf").select("params").executeTakeFirstOrThrow()).params,
    );
    assert.equal(kdf.algorithm, "scrypt");
    assert.equal(Buffer.from(kdf.salt, "base64").length, 16);
    assert.ok(kdf.N >= 2 ** 15);
    // New keys are written with the stretched key only.
    await store.connections.save({ name: "new", email: "a@b.c", apiKey: "MS0xLTU1NTU1-au2" });
    const fresh = (
      await store.database.db
        .selectFrom("connections")
        .select("api_key_enc")
        .where("name", "=", "new")
        .executeTakeFirstOrThrow()
    ).api_key_enc;
    assert.match(fresh, /^v2:/);
    assert.throws(() => legacyOpen(secret, fresh));
  } finally {
    await store.close();
  }
  // And they survive a restart (the salt is read back, not regenerated).
  const again = await openStore({ env });
  try {
    assert.equal((await again.connections.get("new")).apiKey, "MS0xLTU1NTU1-au2");
    assert.equal((await again.connections.get("old")).apiKey, "MS0xLTEyMzQ1-au2");
  } finally {
    await again.close();
  }
});
