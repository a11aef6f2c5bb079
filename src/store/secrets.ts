/**
 * Encryption of connection API keys at rest: AES-256-GCM with a key stretched by scrypt from
 * CLINIKO_FLOW_SECRET, or from key material generated on first use into the data directory
 * (mode 0600) so a zero-setup install is still encrypted. Losing that file means re-adding the
 * connections; the message says so.
 *
 * The scrypt salt and cost are stored in the database (`secret_kdf`, written by the migration
 * that introduced them). Envelopes are `v2:` (scrypt key); `v1:` envelopes, from before, used
 * one SHA-256 of the secret — they stay readable, and the migration re-encrypts them as `v2:`.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, scryptSync } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { tightenMode, writePrivateFile } from "../private-file.ts";

const AAD = Buffer.from("cliniko-flow:connection-api-key");
/** Full-length GCM tags only: Node accepts a truncated tag unless told the length, and short tags can be forged. */
const TAG_BYTES = 16;

export class SecretError extends Error {
  override name = "SecretError";
}

export interface Cipher {
  encrypt(plain: string): string;
  decrypt(envelope: string): string;
  /** Where the key came from, for `migrate`/`serve` to mention (never the key). */
  source: string;
}

/** The secret before stretching, and where it came from. */
export interface KeyMaterial {
  material: string;
  source: string;
}

/** scrypt's salt and cost, stored with the data they protect. */
export interface KdfParams {
  algorithm: "scrypt";
  /** base64, 16 random bytes */
  salt: string;
  N: number;
  r: number;
  p: number;
}

/** ~32 MiB and well under a second: paid once per process start, not per key. */
export function newKdf(): KdfParams {
  return { algorithm: "scrypt", salt: randomBytes(16).toString("base64"), N: 2 ** 15, r: 8, p: 1 };
}

export const SECRET_FILE = "secret.key";

/** Reads CLINIKO_FLOW_SECRET, or the key file (created on first use). */
export function loadKeyMaterial(dataDir: string, env: NodeJS.ProcessEnv = process.env): KeyMaterial {
  const fromEnv = env.CLINIKO_FLOW_SECRET;
  if (fromEnv !== undefined && fromEnv.trim() !== "") {
    if (fromEnv.length < 16)
      throw new SecretError("CLINIKO_FLOW_SECRET is too short: use at least 16 random characters.");
    return { material: fromEnv, source: "CLINIKO_FLOW_SECRET" };
  }
  const file = join(dataDir, SECRET_FILE);
  let material: string;
  try {
    material = readFileSync(file, "utf8").trim();
    tightenMode(file);
  } catch {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    material = randomBytes(32).toString("base64");
    try {
      // `wx`: if another process created it first, keep theirs.
      writePrivateFile(file, `${material}\n`, "wx");
    } catch {
      material = readFileSync(file, "utf8").trim();
    }
  }
  return { material, source: file };
}

/** Loads (or creates) the key material and returns a cipher bound to it (a fresh salt unless given). */
export function loadCipher(dataDir: string, env: NodeJS.ProcessEnv = process.env, kdf: KdfParams = newKdf()): Cipher {
  return cipherFor(loadKeyMaterial(dataDir, env), kdf);
}

/** The key of `v1:` envelopes: one SHA-256, no stretching. Only ever used to read old envelopes. */
function legacyKey(material: string): Buffer {
  return createHash("sha256").update(`cliniko-flow\0${material}`).digest();
}

function stretchedKey(material: string, kdf: KdfParams): Buffer {
  const { N, r, p } = kdf;
  return scryptSync(`cliniko-flow\0${material}`, Buffer.from(kdf.salt, "base64"), 32, {
    N,
    r,
    p,
    maxmem: 256 * N * r + 16 * 1024 * 1024,
  });
}

/**
 * A cipher for `key`: writes `v2:` envelopes with the stretched key and reads both formats.
 * Without KDF parameters (a database not migrated yet) it can only read and write `v1:`.
 */
export function cipherFor(key: KeyMaterial, kdf: KdfParams | null): Cipher {
  const legacy = legacyKey(key.material);
  const stretched = kdf ? stretchedKey(key.material, kdf) : null;
  const keys: Record<string, Buffer | null> = { v1: legacy, v2: stretched };
  const format = stretched ? "v2" : "v1";
  return {
    source: key.source,
    encrypt: (plain) => seal(format, keys[format]!, plain),
    decrypt(envelope) {
      const k = keys[envelope.split(":")[0]!];
      if (!k) throw new SecretError("A stored API key is in an unknown format.");
      try {
        return open(k, envelope);
      } catch (err) {
        if (err instanceof SecretError) throw err;
        throw new SecretError(
          `A stored API key cannot be decrypted with the key from ${key.source}: it was stored under another CLINIKO_FLOW_SECRET (set the original one, or remove and re-add the connection).`,
        );
      }
    },
  };
}

function seal(format: string, key: Buffer, plain: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv("aes-256-gcm", key, iv);
  c.setAAD(AAD);
  const ct = Buffer.concat([c.update(plain, "utf8"), c.final()]);
  return [format, iv.toString("base64"), c.getAuthTag().toString("base64"), ct.toString("base64")].join(":");
}

function open(key: Buffer, envelope: string): string {
  const [, iv, tag, ct] = envelope.split(":");
  if (!iv || !tag || ct === undefined) throw new SecretError("A stored API key is in an unknown format.");
  const d = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64"), { authTagLength: TAG_BYTES });
  d.setAAD(AAD);
  const tagBytes = Buffer.from(tag, "base64");
  if (tagBytes.length !== TAG_BYTES) throw new Error("truncated tag");
  d.setAuthTag(tagBytes);
  return Buffer.concat([d.update(Buffer.from(ct, "base64")), d.final()]).toString("utf8");
}

/**
 * For the migration: turns a `v1:` envelope into its `v2:` form, or answers null when it is not
 * `v1:` or does not open with this key material (stored under another secret: it stays as it is,
 * and reading it reports that, as before). The keys are derived once, not per envelope.
 */
export function legacyReencryptor(key: KeyMaterial, kdf: KdfParams): (envelope: string) => string | null {
  const legacy = legacyKey(key.material);
  const stretched = stretchedKey(key.material, kdf);
  return (envelope) => {
    if (!envelope.startsWith("v1:")) return null;
    let plain: string;
    try {
      plain = open(legacy, envelope);
    } catch {
      return null;
    }
    return seal("v2", stretched, plain);
  };
}

/**
 * A keyed digest (HMAC-SHA-256 under a key derived from the secret) for values kept only to be
 * recognised again, such as webhook idempotency keys: the stored digest does not give the value
 * back, and without the secret a copy of the database cannot be checked against guesses (an
 * email address, say).
 */
export function keyedDigest(key: KeyMaterial): (value: string) => string {
  const k = createHash("sha256").update(`cliniko-flow digest\0${key.material}`).digest();
  return (value) => createHmac("sha256", k).update(value).digest("base64url");
}
