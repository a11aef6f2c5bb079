/**
 * Who may use the API: one admin password (argon2id), browser sessions (random id in an
 * HttpOnly SameSite=Strict cookie, stored hashed) and bearer API tokens for scripts (stored
 * hashed, shown once). Its tables come from the store's migrations (0003).
 */
import { createHash, randomBytes } from "node:crypto";
import { hash, verify } from "@node-rs/argon2";
import type { Kysely } from "kysely";
import type { Database } from "../store/schema.ts";
import type { TokenScope } from "./token-scopes.ts";

export const SESSION_COOKIE = "cliniko_flow_session";
export const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;
const PASSWORD_KEY = "admin_password_hash";
export const MIN_PASSWORD_LENGTH = 8;

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");
const now = () => new Date().toISOString();

export class PasswordPolicyError extends Error {
  override name = "PasswordPolicyError";
}

export interface TokenInfo {
  id: string;
  name: string;
  scope: TokenScope;
  createdAt: string;
  /** After this the token is refused; null: it does not expire. */
  expiresAt: string | null;
  lastUsedAt: string | null;
}

/** A checked token: who it is and what it may do. */
export interface TokenGrant {
  id: string;
  scope: TokenScope;
}

export class AuthStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  async hasPassword(): Promise<boolean> {
    return (await this.#passwordHash()) !== undefined;
  }

  async #passwordHash(): Promise<string | undefined> {
    const row = await this.#db
      .selectFrom("auth_settings")
      .select("value")
      .where("key", "=", PASSWORD_KEY)
      .executeTakeFirst();
    return row?.value;
  }

  /**
   * Hashes with argon2id (the library's default algorithm) and replaces the stored hash. A new
   * password ends every session and, unless `keepTokens`, revokes every API token: whoever had
   * the old password may have made one.
   */
  async setPassword(password: string, options: { keepTokens?: boolean } = {}): Promise<void> {
    if (password.length < MIN_PASSWORD_LENGTH)
      throw new PasswordPolicyError(`The admin password must have at least ${MIN_PASSWORD_LENGTH} characters.`);
    const value = await hash(password);
    const updated_at = now();
    const res = await this.#db
      .updateTable("auth_settings")
      .set({ value, updated_at })
      .where("key", "=", PASSWORD_KEY)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0)
      await this.#db.insertInto("auth_settings").values({ key: PASSWORD_KEY, value, updated_at }).execute();
    // A new password ends every existing session.
    await this.#db.deleteFrom("auth_sessions").execute();
    if (!options.keepTokens) await this.#db.deleteFrom("api_tokens").execute();
  }

  async checkPassword(password: string): Promise<boolean> {
    const stored = await this.#passwordHash();
    if (!stored || !password) return false;
    try {
      return await verify(stored, password);
    } catch {
      return false;
    }
  }

  /**
   * Applies CLINIKO_FLOW_ADMIN_PASSWORD: the environment wins over a stored password, so an
   * operator who changes the variable and restarts gets the new login.
   */
  async applyEnvPassword(password: string | undefined, options: { keepTokens?: boolean } = {}): Promise<void> {
    if (!password) return;
    if (await this.checkPassword(password)) return;
    await this.setPassword(password, options);
  }

  async createSession(): Promise<{ id: string; expiresAt: Date }> {
    const id = randomBytes(32).toString("base64url");
    const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
    await this.#db
      .insertInto("auth_sessions")
      .values({ id_hash: sha256(id), created_at: now(), expires_at: expiresAt.toISOString() })
      .execute();
    return { id, expiresAt };
  }

  async checkSession(id: string | undefined): Promise<boolean> {
    if (!id) return false;
    const row = await this.#db
      .selectFrom("auth_sessions")
      .select("expires_at")
      .where("id_hash", "=", sha256(id))
      .executeTakeFirst();
    return !!row && row.expires_at > now();
  }

  async endSession(id: string | undefined): Promise<void> {
    if (!id) return;
    await this.#db.deleteFrom("auth_sessions").where("id_hash", "=", sha256(id)).execute();
    await this.#db.deleteFrom("auth_sessions").where("expires_at", "<", now()).execute();
  }

  /** Returns the token itself once; only its hash is kept. */
  async createToken(
    name: string,
    options: { scope?: TokenScope; expiresAt?: string | null } = {},
  ): Promise<TokenInfo & { token: string }> {
    const token = `cft_${randomBytes(24).toString("base64url")}`;
    const info: TokenInfo = {
      id: randomBytes(6).toString("hex"),
      name,
      scope: options.scope ?? "write",
      createdAt: now(),
      expiresAt: options.expiresAt ? new Date(options.expiresAt).toISOString() : null,
      lastUsedAt: null,
    };
    await this.#db
      .insertInto("api_tokens")
      .values({
        id: info.id,
        name,
        token_hash: sha256(token),
        scope: info.scope,
        created_at: info.createdAt,
        expires_at: info.expiresAt,
        last_used_at: null,
      })
      .execute();
    return { ...info, token };
  }

  /** The token's grant, or undefined when it is unknown, revoked or expired; records its use. */
  async checkToken(token: string): Promise<TokenGrant | undefined> {
    const tokenHash = sha256(token);
    const row = await this.#db
      .selectFrom("api_tokens")
      .select(["id", "scope", "expires_at"])
      .where("token_hash", "=", tokenHash)
      .executeTakeFirst();
    const at = now();
    if (!row || (row.expires_at !== null && row.expires_at <= at)) return undefined;
    await this.#db.updateTable("api_tokens").set({ last_used_at: at }).where("id", "=", row.id).execute();
    return { id: row.id, scope: row.scope as TokenScope };
  }

  async listTokens(): Promise<TokenInfo[]> {
    const rows = await this.#db.selectFrom("api_tokens").selectAll().orderBy("created_at").execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      scope: r.scope as TokenScope,
      createdAt: r.created_at,
      expiresAt: r.expires_at,
      lastUsedAt: r.last_used_at,
    }));
  }

  async removeToken(id: string): Promise<boolean> {
    const res = await this.#db.deleteFrom("api_tokens").where("id", "=", id).executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }
}

/** A printable random password for demo mode (no ambiguous characters). */
export function generatePassword(): string {
  const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789";
  const bytes = randomBytes(16);
  return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}
