/**
 * Which Cliniko account a trigger or step talks to: its `connection` name, else the connection
 * named `default`, else the CLINIKO_* environment. Clients are cached per connection, and the
 * provider owns the registry of rate limiters, so one key's budget is shared by every workflow
 * and connection on it and /metrics reads the limiters' counts here.
 */
import { createHash } from "node:crypto";
import { baseUrlOverrideAllowed } from "../apps/base-url.ts";
import { appConnectionKind } from "../apps/connections.ts";
import { AppError, issuesText } from "../apps/errors.ts";
import { AppLimiters } from "../apps/limits.ts";
import { safeParseSettings } from "../apps/save.ts";
import type { AppConnection } from "../apps/types.ts";
import type { ClinikoClientWithStats } from "../cliniko/client.ts";
import { createClient } from "../cliniko/client.ts";
import { ClinikoConfigError } from "../cliniko/errors.ts";
import {
  type Clock,
  type LimiterRegistry,
  LocalLimiters,
  type RateLimiter,
  type RateLimitStats,
} from "../cliniko/rate-limit.ts";
import { type ConnectionSettings, connectionFromEnv } from "../cliniko/regions.ts";
import type { ClinikoClient } from "../cliniko/types.ts";
import type { AppKind, ConnectionKind } from "../connection-kinds.ts";
import { templateEnv } from "../expressions/template.ts";
import { type AllowList, allowListFromEnv } from "../net/address-policy.ts";
import type { Store } from "../store/index.ts";
import type { ActivationContext } from "./activation.ts";
import { type RunSettings, runSettings, settingExists } from "./settings.ts";

export interface ResolvedClient {
  /** Stable key for cursors: the connection's name, or `env:<fingerprint>`. */
  key: string;
  client: ClinikoClient;
  /** The budget of the connection's API key, shared by every client on that key. */
  limiter: RateLimiter;
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
  const timing = rateLimitTimingFromEnv(env);
  if (limit === undefined) return new LocalLimiters({ clock, ...timing });
  return new LocalLimiters(limit === 0 ? { paced: false, clock } : { limit, ...timing, clock });
}

/** The least margin kept over a shortened window: jitter does not shrink with the window. */
const MIN_TEST_MARGIN_MS = 250;

/**
 * CLINIKO_FLOW_TEST_RATE_LIMIT_WINDOW_MS: the rolling window the limit applies to (default 60 s,
 * Cliniko's). Tests and benchmarks only: they shorten it together with the sandbox's window to
 * compress a long backfill's time; against Cliniko it must stay unset. The margin kept over the
 * window stays 2 % of it but at least 250 ms: the time between a granted slot and the request's
 * arrival on a loaded machine does not shrink with the window (Cliniko's minute gets 1.2 s).
 * CLINIKO_FLOW_TEST_RATE_LIMIT_MARGIN_MS sets that margin instead.
 */
export function rateLimitTimingFromEnv(env: NodeJS.ProcessEnv): { windowMs?: number; marginMs?: number } {
  const raw = env.CLINIKO_FLOW_TEST_RATE_LIMIT_WINDOW_MS?.trim();
  if (raw === undefined || raw === "") return {};
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw new ClinikoConfigError(
      `CLINIKO_FLOW_TEST_RATE_LIMIT_WINDOW_MS must be a whole number of milliseconds, not "${raw}".`,
    );
  const windowMs = Number(raw);
  const margin = env.CLINIKO_FLOW_TEST_RATE_LIMIT_MARGIN_MS?.trim();
  if (margin && !/^\d+$/.test(margin))
    throw new ClinikoConfigError(
      `CLINIKO_FLOW_TEST_RATE_LIMIT_MARGIN_MS must be a whole number of milliseconds, not "${margin}".`,
    );
  return { windowMs, marginMs: margin ? Number(margin) : Math.max(MIN_TEST_MARGIN_MS, Math.ceil(windowMs * 0.02)) };
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
  readonly #cache = new Map<string, { fingerprint: string; client: ClinikoClientWithStats }>();
  readonly #lookups = new Map<string, { at: number; generation: number; resolved: Resolved }>();
  readonly #ttlMs: number;
  readonly #preferEnv: boolean;
  readonly #limiters: LimiterRegistry;
  readonly #appLimiters: AppLimiters;
  constructor(store: Store, options: ClientProviderOptions = {}) {
    this.#store = store;
    this.#env = options.env ?? process.env;
    this.#limiters = options.limiters ?? limitersFromEnv(this.#env, options.clock);
    this.#appLimiters = new AppLimiters({ clock: options.clock });
    this.#ttlMs = options.settingsTtlMs ?? 5000;
    this.#preferEnv = options.preferEnv ?? false;
    this.#timeoutMs =
      options.timeoutMs ??
      (this.#env.CLINIKO_FLOW_CLINIKO_TIMEOUT_MS ? Number(this.#env.CLINIKO_FLOW_CLINIKO_TIMEOUT_MS) : undefined);
  }

  /**
   * What the activation check asks of the outside world: which connections exist and which
   * settings (`env.FLOW_…`, saved in the web UI or the environment) have a value.
   */
  activationContext(): ActivationContext {
    return { connectionExists: (n, k) => this.exists(n, k), settingExists: settingExists(this.#store, this.#env) };
  }

  /** The settings templates read now (`env.FLOW_…`): saved ones, with FLOW_* environment variables winning. */
  runSettings(): Promise<RunSettings> {
    return runSettings(this.#store, this.#env);
  }

  /** The names of the FLOW_* environment variables templates read (they win over saved settings). */
  environmentSettings(): string[] {
    return Object.keys(templateEnv(this.#env)).sort();
  }

  /** Every key's limiter statistics (for /metrics: requests sent, waits and 429s). */
  limiterStats(): RateLimitStats[] {
    return [...this.#limiters.stats(), ...this.#appLimiters.stats()];
  }

  /**
   * The app connection a step names (its settings parsed, secrets decrypted), or, when it names
   * none, the only connection of those kinds. Looked up on every call: app steps send messages,
   * they are not hot loops, and a changed password applies at once.
   */
  async app(name: string | undefined, kinds: readonly AppKind[]): Promise<AppConnection> {
    const connections = this.#store.connections;
    let chosen = name;
    if (!chosen) {
      const candidates = (await connections.list()).filter((c) => (kinds as readonly string[]).includes(c.kind));
      if (candidates.length !== 1)
        throw new AppError(
          kinds[0]!,
          "config",
          candidates.length === 0
            ? `There is no ${kinds.join(" or ")} connection: add one (cliniko-flow connections add NAME --kind ${kinds[0]}).`
            : `There are several ${kinds.join(" or ")} connections: name one in the step's connection.`,
        );
      chosen = candidates[0]!.name;
    }
    const config = await connections.getApp(chosen, kinds);
    const parsed = safeParseSettings(appConnectionKind(config.kind).settings, {
      ...config.settings,
      ...config.secrets,
    });
    if (!parsed.success)
      throw new AppError(config.kind, "config", `Connection "${chosen}" is incomplete: ${issuesText(parsed.error)}.`);
    const budget = Object.values(config.secrets)[0] ?? chosen;
    return {
      name: config.name,
      kind: config.kind,
      settings: parsed.data as Record<string, unknown>,
      ...(config.baseUrl ? { baseUrl: config.baseUrl } : {}),
      limiter: (scope = "") => this.#appLimiters.for(config.kind, `${budget}\0${scope}`),
      network: this.#network(config.baseUrl),
    };
  }

  /**
   * The address policy's exceptions for an app connection: CLINIKO_FLOW_HTTP_ALLOW, and the
   * connection's own vendor URL override, which only tests and the sandbox demo can set
   * (base-url.ts) and which aims at a fake vendor on this machine.
   */
  #network(baseUrl: string | undefined): AllowList {
    const override = baseUrl && baseUrlOverrideAllowed() ? new URL(baseUrl).hostname : "";
    const entries = [this.#env.CLINIKO_FLOW_HTTP_ALLOW ?? "", override].filter(Boolean).join(",");
    return allowListFromEnv({
      CLINIKO_FLOW_HTTP_ALLOW: entries,
      CLINIKO_FLOW_ALLOW_PRIVATE_HTTP: this.#env.CLINIKO_FLOW_ALLOW_PRIVATE_HTTP,
    });
  }

  /**
   * Where Cliniko clients may connect: CLINIKO_FLOW_HTTP_ALLOW's exceptions to the address policy
   * (the sandbox this process serves itself passes by its origin: src/net/own-origins.ts).
   */
  clinikoNetwork(): AllowList {
    return allowListFromEnv(this.#env);
  }

  /** The connection key a name resolves to, without building a client. */
  async keyOf(name?: string): Promise<string> {
    return (await this.#settings(name)).key;
  }

  /**
   * Whether a name (undefined: the default) reaches an account of one of `kinds`: for Cliniko a
   * stored connection or the environment; for apps a stored, complete connection of those kinds.
   */
  async exists(name?: string, kinds: readonly ConnectionKind[] = ["cliniko"]): Promise<boolean> {
    try {
      const apps = kinds.filter((k): k is AppKind => k !== "cliniko");
      if (apps.length === kinds.length) await this.app(name, apps);
      else await this.#settings(name);
      return true;
    } catch {
      return false;
    }
  }

  async resolve(name?: string): Promise<ResolvedClient> {
    const { key, settings, fingerprint } = await this.#settings(name);
    const cached = this.#cache.get(key);
    if (cached && cached.fingerprint === fingerprint)
      return { key, client: cached.client, limiter: cached.client.limiter };
    const client = createClient({
      ...settings,
      network: this.clinikoNetwork(),
      ...(this.#timeoutMs ? { timeoutMs: this.#timeoutMs } : {}),
      limiters: this.#limiters,
    });
    this.#cache.set(key, { fingerprint, client });
    return { key, client, limiter: client.limiter };
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
