/**
 * Where a Cliniko account lives. Cliniko runs one API host per shard and tells which shard a key
 * belongs to by the key's suffix (`…-au2`); a key sent to another shard's host is rejected, so a
 * region the user picks must agree with the key. A full base URL can replace the host (the
 * sandbox, tests, a proxy).
 */
import { ClinikoBaseUrlError, ClinikoConfigError } from "./errors.ts";

/** The regions a user can pick, as shard names (user input is case-insensitive). */
export const REGIONS = ["au1", "au2", "au3", "au4", "au5", "ca1", "uk1", "uk2", "uk3", "eu1"] as const;
export type Region = (typeof REGIONS)[number];

/** Shard of keys without a suffix (Cliniko's oldest keys). */
export const DEFAULT_SHARD: Region = "au1";

const SHARD_SHAPE = /^[a-z]{2}\d{1,2}$/;

/**
 * The shard of an API key: its suffix after the last `-` when that suffix looks like a shard
 * (two letters and a number), else au1. The shape check keeps arbitrary key text out of the host
 * name; a well-shaped shard we do not list yet (say `au6`) is still used, since Cliniko adds shards.
 */
export function shardOfKey(apiKey: string): string {
  const dash = apiKey.lastIndexOf("-");
  if (dash < 0) return DEFAULT_SHARD;
  const suffix = apiKey.slice(dash + 1).toLowerCase();
  return SHARD_SHAPE.test(suffix) ? suffix : DEFAULT_SHARD;
}

/** Normalises a user-chosen region ("AU2", " uk1 ") or throws a ClinikoConfigError naming the choices. */
export function parseRegion(input: string): Region {
  const region = input.trim().toLowerCase();
  if ((REGIONS as readonly string[]).includes(region)) return region as Region;
  // Echo only what is short enough to be a mistyped region: a pasted API key must not end up in a message.
  const shown = region.length <= 8 ? `"${input.trim()}"` : "That";
  throw new ClinikoConfigError(
    `${shown} is not a Cliniko region; choose one of ${REGIONS.map((r) => r.toUpperCase()).join(", ")}.`,
  );
}

export function apiBaseUrl(shard: string): string {
  return `https://api.${shard}.cliniko.com/v1`;
}

/** Checks and normalises a base-URL override: http(s), no credentials, no query, no trailing slash. */
export function normaliseBaseUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    // Not echoed: whatever was pasted here (a key, by mistake) must not end up in a message.
    throw new ClinikoBaseUrlError(
      "The Cliniko base URL is not a valid URL; it looks like https://api.au1.cliniko.com/v1 or http://127.0.0.1:4010/v1.",
    );
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new ClinikoBaseUrlError(`The Cliniko base URL must start with https:// or http://, not ${url.protocol}.`);
  }
  if (url.username || url.password) {
    throw new ClinikoBaseUrlError("The Cliniko base URL must not contain a user name or password.");
  }
  if (url.search || url.hash) {
    throw new ClinikoBaseUrlError("The Cliniko base URL must not contain a query string or fragment.");
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, "")}`;
}

export interface ResolvedConnection {
  shard: string;
  baseUrl: string;
}

/**
 * Shard and base URL of a connection. `region`, when given, must be one of the ten and match
 * the key's shard (also with a base-URL override: both are the user's claims about one account).
 */
export function resolveConnection(options: {
  apiKey: string;
  region?: string | null;
  baseUrl?: string | null;
}): ResolvedConnection {
  const shard = shardOfKey(options.apiKey);
  // null counts as absent: connections read from a database carry nulls for unset columns.
  if (typeof options.region === "string" && options.region.trim() !== "") {
    const region = parseRegion(options.region);
    if (region !== shard) {
      throw new ClinikoConfigError(
        `The API key belongs to Cliniko region ${shard.toUpperCase()} but region ${region.toUpperCase()} was chosen; pick ${shard.toUpperCase()} or use a key from the ${region.toUpperCase()} account.`,
      );
    }
  }
  const baseUrl =
    typeof options.baseUrl === "string" && options.baseUrl.trim()
      ? normaliseBaseUrl(options.baseUrl)
      : apiBaseUrl(shard);
  return { shard, baseUrl };
}

export interface ConnectionSettings {
  apiKey: string;
  email: string;
  region?: string;
  baseUrl?: string;
}

/**
 * The connection described by `CLINIKO_API_KEY`, `CLINIKO_EMAIL` and the optional
 * `CLINIKO_REGION` / `CLINIKO_BASE_URL`; throws a ClinikoConfigError naming a missing variable.
 */
export function connectionFromEnv(env: NodeJS.ProcessEnv = process.env): ConnectionSettings {
  const read = (name: string) => {
    const value = env[name]?.trim();
    return value ? value : undefined;
  };
  const apiKey = read("CLINIKO_API_KEY");
  if (!apiKey) {
    throw new ClinikoConfigError(
      "CLINIKO_API_KEY is not set; create an API key in Cliniko (My info → Manage API keys) and export it.",
    );
  }
  const email = read("CLINIKO_EMAIL");
  if (!email) {
    throw new ClinikoConfigError(
      "CLINIKO_EMAIL is not set; Cliniko requires a contact email in every request's User-Agent.",
    );
  }
  const settings: ConnectionSettings = { apiKey, email };
  const region = read("CLINIKO_REGION");
  if (region) settings.region = region;
  const baseUrl = read("CLINIKO_BASE_URL");
  if (baseUrl) settings.baseUrl = baseUrl;
  // Validate now so a bad environment fails at start-up, not at the first request.
  resolveConnection(settings);
  return settings;
}
