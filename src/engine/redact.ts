/**
 * What run records (and step test answers) keep of credentials: nothing. Step inputs are redacted
 * by key (an `authorization` header, a `token` field), URLs lose their user-info and sensitive
 * query parameters, and the values of secret-looking FLOW_* variables (a CRM token, a chat
 * webhook URL whose path is the secret) are cut out of every stored string — inputs, outputs
 * and error messages — however a template placed them there. The live step still gets the real
 * values; only what is written down or shown is cleaned.
 */

const SENSITIVE = /authorization|api[-_]?key|token|secret|password|passwd|cookie|credential/i;
/** FLOW_* variables whose value is a secret: the sensitive words, plus webhook URLs and *_KEY. */
const SECRET_ENV =
  /authorization|api[-_]?key|token|secret|password|passwd|cookie|credential|webhook|(^|_)KEY$|(^|_)DSN$/i;
/** Shorter values would also match ordinary text ("on", "1"): not worth cutting. */
const MIN_SECRET_LENGTH = 6;
export const REDACTED = "[redacted]";

/** Secret values among the FLOW_* variables templates may read, longest first. */
export function secretValues(env: Record<string, string | undefined>): string[] {
  return Object.entries(env)
    .filter(([k, v]) => k.startsWith("FLOW_") && SECRET_ENV.test(k) && v && v.length >= MIN_SECRET_LENGTH)
    .map(([, v]) => v!)
    .sort((a, b) => b.length - a.length);
}

function cleanUrl(text: string): string {
  if (!/^https?:\/\//i.test(text)) return text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  let changed = false;
  if (url.password) {
    url.password = REDACTED;
    changed = true;
  }
  for (const key of [...url.searchParams.keys()])
    if (SENSITIVE.test(key)) {
      url.searchParams.set(key, REDACTED);
      changed = true;
    }
  return changed ? url.toString().replaceAll("%5Bredacted%5D", REDACTED) : text;
}

/** A cleaner for stored values: `clean(value, key?)` returns a copy without credentials. */
export function secretScrubber(env: Record<string, string | undefined>, savedSecrets: readonly string[] = []) {
  // Settings saved as secret are cut whatever their name; shorter values would cut ordinary words.
  const secrets = [...secretValues(env), ...savedSecrets.filter((v) => v.length >= MIN_SECRET_LENGTH)].sort(
    (a, b) => b.length - a.length,
  );
  // Case-insensitive, and in URL-encoded form too: a URL lower-cases its host (a secret placed in
  // a host comes back lower-cased in the stored URL and in error messages) and escapes its path.
  const variants = [...new Set(secrets.flatMap((v) => [v, encodeURIComponent(v)]))].sort((a, b) => b.length - a.length);
  const pattern =
    variants.length > 0
      ? new RegExp(variants.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("|"), "gi")
      : null;
  const cut = (s: string) => (pattern ? s.replace(pattern, REDACTED) : s);
  const clean = (value: unknown, key = ""): unknown => {
    if (typeof value === "string") return SENSITIVE.test(key) ? REDACTED : cut(cleanUrl(value));
    if (value === null || typeof value !== "object") return SENSITIVE.test(key) && value !== null ? REDACTED : value;
    if (Array.isArray(value)) return value.map((v) => clean(v));
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clean(v, k)]));
  };
  return {
    /** Step inputs: by key, URL and value. */
    input: (value: unknown) => clean(value),
    /** Outputs and error text: by value only (an output's `token` field may be the record's data). */
    text: <T>(value: T): T => {
      if (secrets.length === 0) return value;
      if (typeof value === "string") return cut(value) as T;
      if (value === null || typeof value !== "object") return value;
      const json = JSON.stringify(value);
      const cleaned = cut(json);
      if (cleaned === json) return value;
      try {
        return JSON.parse(cleaned) as T;
      } catch {
        return REDACTED as T; // a secret with JSON punctuation: drop the value rather than keep it
      }
    },
  };
}
