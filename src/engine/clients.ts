/**
 * Which Cliniko account a trigger or step talks to: its `connection` name, else the connection
 * named `default`, else the CLINIKO_* environment. Clients are cached per connection so the
 * key's rate limiter is shared by every workflow on it.
 */
import { createHash } from "node:crypto";
import { createClient } from "../cliniko/client.ts";
import { type ConnectionSettings, connectionFromEnv } from "../cliniko/regions.ts";
import type { ClinikoClient } from "../cliniko/types.ts";
import type { Store } from "../store/index.ts";

export interface ResolvedClient {
  /** Stable key for cursors: the connection's name, or `env:<fingerprint>`. */
  key: string;
  client: ClinikoClient;
}

export interface ClientProviderOptions {
  env?: NodeJS.ProcessEnv;
  /** Per-request timeout for Cliniko calls. */
  timeoutMs?: number;
  /**
   * How long a looked-up connection is reused (default 5 s). Every step asks, so without this a
   * step costs a query, a decryption and a hash. Changes made in this process apply at once; a
   * change made by another process (the CLI while `serve` runs) applies within this time.
   */
  settingsTtlMs?: number;
  /**
   * Without a connection name, use the CLINIKO_* environment when CLINIKO_API_KEY is set, before
   * the stored `default` (what a command started by hand expects: `cliniko-flow mcp`).
   */
  preferEnv?: boolean;
}

interface Resolved {
  key: string;
  settings: ConnectionSettings;
  fingerprint: string;
}

export class ClientProvider {
  readonly #store: Store;
  readonly #env: NodeJS.ProcessEnv;
  readonly #timeoutMs?: number;
  readonly #cache = new Map<string, { fingerprint: string; client: ClinikoClient }>();
  readonly #lookups = new Map<string, { at: number; generation: number; resolved: Resolved }>();
  readonly #ttlMs: number;
  readonly #preferEnv: boolean;
  constructor(store: Store, options: ClientProviderOptions = {}) {
    this.#store = store;
    this.#env = options.env ?? process.env;
    this.#ttlMs = options.settingsTtlMs ?? 5000;
    this.#preferEnv = options.preferEnv ?? false;
    this.#timeoutMs =
      options.timeoutMs ??
      (this.#env.CLINIKO_FLOW_CLINIKO_TIMEOUT_MS ? Number(this.#env.CLINIKO_FLOW_CLINIKO_TIMEOUT_MS) : undefined);
  }

  /** The connection key a name resolves to, without building a client. */
  async keyOf(name?: string): Promise<string> {
    return (await this.#settings(name)).key;
  }

  async resolve(name?: string): Promise<ResolvedClient> {
    const { key, settings, fingerprint } = await this.#settings(name);
    const cached = this.#cache.get(key);
    if (cached && cached.fingerprint === fingerprint) return { key, client: cached.client };
    // CLINIKO_FLOW_RATE_LIMIT: requests/minute for our own pacing; 0 turns it off (local sandboxes).
    const perMinute = this.#env.CLINIKO_FLOW_RATE_LIMIT;
    const client = createClient({
      ...settings,
      ...(this.#timeoutMs ? { timeoutMs: this.#timeoutMs } : {}),
      ...(perMinute === "0" ? { rateLimit: false as const } : {}),
    });
    this.#cache.set(key, { fingerprint, client });
    return { key, client };
  }

  async #settings(name?: string): Promise<Resolved> {
    const generation = this.#store.connections.generation;
    const hit = this.#lookups.get(name ?? "");
    if (hit && hit.generation === generation && Date.now() - hit.at < this.#ttlMs) return hit.resolved;
    const { key, settings } = await this.#lookup(name);
    const resolved = { key, settings, fingerprint: hash(JSON.stringify(settings)) };
    this.#lookups.set(name ?? "", { at: Date.now(), generation, resolved });
    return resolved;
  }

  async #lookup(name?: string): Promise<{ key: string; settings: ConnectionSettings }> {
    const envFirst = !name && this.#preferEnv && Boolean(this.#env.CLINIKO_API_KEY);
    const stored = name
      ? await this.#store.connections.get(name)
      : envFirst
        ? undefined
        : await this.#store.connections.find("default");
    if (stored) {
      const { apiKey, email, region, baseUrl } = stored;
      return { key: stored.name, settings: { apiKey, email, region, baseUrl } };
    }
    const s = connectionFromEnv(this.#env);
    return { key: `env:${hash(`${s.apiKey}|${s.baseUrl ?? s.region ?? ""}`).slice(0, 12)}`, settings: s };
  }
}

function hash(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}
