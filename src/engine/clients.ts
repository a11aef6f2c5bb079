/**
 * Which Cliniko account a trigger or step talks to: its `connection` name, else the connection
 * named `default`, else the CLINIKO_* environment. Clients are cached per connection, and the
 * provider owns the registry of rate limiters, so one key's budget is shared by every workflow
 * and connection on it and /metrics reads the limiters' counts here.
 */
import { createHash } from "node:crypto";
import { createClient } from "../cliniko/client.ts";
import { ClinikoConfigError } from "../cliniko/errors.ts";
import { type Clock, type LimiterRegistry, LocalLimiters, type RateLimitStats } from "../cliniko/rate-limit.ts";
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
  /**
   * The rate limiters of the keys this provider's clients use (default: in-process ones paced by
   * CLINIKO_FLOW_RATE_LIMIT). A Redis-backed registry goes here to share budgets across workers.
   */
  limiters?: LimiterRegistry;
  /** The clock the default limiters wait on (tests run minutes of pacing in milliseconds). */
  clock?: Clock;
}

/**
 * CLINIKO_FLOW_RATE_LIMIT: request starts per rolling minute for our own pacing (default 200,
 * Cliniko's per-user limit); 0 turns pacing off (local sandboxes).
 */
export function limitersFromEnv(env: NodeJS.ProcessEnv, clock?: Clock): LocalLimiters {
  const limit = rateLimitFromEnv(env);
  if (limit === undefined) return new LocalLimiters({ clock });
  return new LocalLimiters(limit === 0 ? { paced: false, clock } : { limit, windowMs: 60_000, clock });
}

/** CLINIKO_FLOW_RATE_LIMIT as a number (undefined: the default), shared by local and Redis limiters. */
export function rateLimitFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.CLINIKO_FLOW_RATE_LIMIT?.trim();
  if (raw === undefined || raw === "") return undefined;
  if (!/^\d+$/.test(raw)) {
    throw new ClinikoConfigError(
      `CLINIKO_FLOW_RATE_LIMIT must be a whole number of requests per minute (0 turns pacing off), not "${raw}".`,
    );
  }
  return Number(raw);
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
  readonly #limiters: LimiterRegistry;
  constructor(store: Store, options: ClientProviderOptions = {}) {
    this.#store = store;
    this.#env = options.env ?? process.env;
    this.#limiters = options.limiters ?? limitersFromEnv(this.#env, options.clock);
    this.#ttlMs = options.settingsTtlMs ?? 5000;
    this.#preferEnv = options.preferEnv ?? false;
    this.#timeoutMs =
      options.timeoutMs ??
      (this.#env.CLINIKO_FLOW_CLINIKO_TIMEOUT_MS ? Number(this.#env.CLINIKO_FLOW_CLINIKO_TIMEOUT_MS) : undefined);
  }

  /** Every key's limiter statistics (for /metrics: requests sent, waits and 429s). */
  limiterStats(): RateLimitStats[] {
    return this.#limiters.stats();
  }

  /** The connection key a name resolves to, without building a client. */
  async keyOf(name?: string): Promise<string> {
    return (await this.#settings(name)).key;
  }

  /** Whether a name (undefined: the default) reaches an account: a stored connection, or the environment. */
  async exists(name?: string): Promise<boolean> {
    try {
      await this.#settings(name);
      return true;
    } catch {
      return false;
    }
  }

  async resolve(name?: string): Promise<ResolvedClient> {
    const { key, settings, fingerprint } = await this.#settings(name);
    const cached = this.#cache.get(key);
    if (cached && cached.fingerprint === fingerprint) return { key, client: cached.client };
    const client = createClient({
      ...settings,
      ...(this.#timeoutMs ? { timeoutMs: this.#timeoutMs } : {}),
      limiters: this.#limiters,
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
