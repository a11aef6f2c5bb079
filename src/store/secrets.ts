/**
 * Encryption of connection API keys at rest: AES-256-GCM with a key from CLINIKO_FLOW_SECRET, or
 * one generated on first use into the data directory (mode 0600) so a zero-setup install is still
 * encrypted. Losing that file means re-adding the connections; the message says so.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const FORMAT = "v1";
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

export const SECRET_FILE = "secret.key";

/** Loads (or creates) the key and returns a cipher bound to it. */
export function loadCipher(dataDir: string, env: NodeJS.ProcessEnv = process.env): Cipher {
  const fromEnv = env.CLINIKO_FLOW_SECRET;
  if (fromEnv !== undefined && fromEnv.trim() !== "") {
    if (fromEnv.length < 16)
      throw new SecretError("CLINIKO_FLOW_SECRET is too short: use at least 16 random characters.");
    return cipherFor(deriveKey(fromEnv), "CLINIKO_FLOW_SECRET");
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
      writeFileSync(file, `${material}\n`, { mode: 0o600, flag: "wx" });
      chmodSync(file, 0o600);
    } catch {
      material = readFileSync(file, "utf8").trim();
    }
  }
  return cipherFor(deriveKey(material), file);
}

/** A key file restored from a backup or copied with loose permissions goes back to owner-only. */
function tightenMode(file: string): void {
  try {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  } catch {
    // Filesystems without POSIX modes (Windows shares): nothing to tighten.
  }
}

function deriveKey(material: string): Buffer {
  return createHash("sha256").update(`cliniko-flow\0${material}`).digest();
}

function cipherFor(key: Buffer, source: string): Cipher {
  return {
    source,
    encrypt(plain) {
      const iv = randomBytes(12);
      const c = createCipheriv("aes-256-gcm", key, iv);
      c.setAAD(AAD);
      const ct = Buffer.concat([c.update(plain, "utf8"), c.final()]);
      return [FORMAT, iv.toString("base64"), c.getAuthTag().toString("base64"), ct.toString("base64")].join(":");
    },
    decrypt(envelope) {
      const [format, iv, tag, ct] = envelope.split(":");
      if (format !== FORMAT || !iv || !tag || ct === undefined)
        throw new SecretError("A stored API key is in an unknown format.");
      try {
        const d = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64"), { authTagLength: TAG_BYTES });
        d.setAAD(AAD);
        const tagBytes = Buffer.from(tag, "base64");
        if (tagBytes.length !== TAG_BYTES) throw new Error("truncated tag");
        d.setAuthTag(tagBytes);
        return Buffer.concat([d.update(Buffer.from(ct, "base64")), d.final()]).toString("utf8");
      } catch {
        throw new SecretError(
          `A stored API key cannot be decrypted with the key from ${source}: it was stored under another CLINIKO_FLOW_SECRET (set the original one, or remove and re-add the connection).`,
        );
      }
    },
  };
}
