import pino, { type DestinationStream, type Logger } from "pino";
import pretty from "pino-pretty";

/**
 * Fields pino censors wherever they appear, up to four levels deep (a connection inside a job, a
 * header inside request options inside an error): credentials never reach a log line. Names are
 * matched exactly, so both spellings of a header are listed. Patient data is kept out of logs by
 * not logging payloads at all; these paths are the safety net.
 */
const SECRET_FIELDS = [
  "apiKey",
  "api_key",
  "api_key_enc",
  "password",
  "token",
  "secret",
  "authorization",
  "Authorization",
  "cookie",
  "Cookie",
  "set-cookie",
  "x-api-key",
  "CLINIKO_API_KEY",
  "CLINIKO_FLOW_SECRET",
  "CLINIKO_FLOW_ADMIN_PASSWORD",
  "DATABASE_URL",
  "REDIS_URL",
  // What failed validation or parsing (a TypeError's `input` holds the whole URL it could not
  // parse) and URLs themselves: an incoming-webhook URL is a credential, and a URL may carry
  // patient data in its path or query.
  "input",
  "url",
  "href",
];

/**
 * URLs inside the text of an error (its message and stack) keep only their origin: the path and
 * query, where webhook secrets and record details live, are cut.
 */
const URL_IN_TEXT = /\b([a-z][a-z0-9+.-]*:\/\/[^\s/"'<>?#]+)[^\s"'<>]*/gi;
export const redactUrls = (text: string) =>
  text.replace(URL_IN_TEXT, (whole, origin: string) =>
    whole.length > origin.length + 1 ? `${origin}/[redacted]` : whole,
  );

function errSerializer(err: unknown) {
  const out = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
  for (const key of ["message", "stack"]) if (typeof out[key] === "string") out[key] = redactUrls(out[key] as string);
  return out;
}

const segment = (field: string) => (/^[A-Za-z_$][\w$]*$/.test(field) ? `.${field}` : `["${field}"]`);

export const REDACT_PATHS = SECRET_FIELDS.flatMap((field) =>
  ["", "*", "*.*", "*.*.*"].map((prefix) =>
    prefix ? `${prefix}${segment(field)}` : segment(field).replace(/^\./, ""),
  ),
);

/**
 * JSON lines for machines; readable lines when a person watches a terminal (LOG_FORMAT=json forces
 * JSON there too). Redaction happens before either formatter sees the record.
 */
function destination(): DestinationStream {
  const readable = process.stderr.isTTY && process.env.LOG_FORMAT !== "json";
  // Asynchronous: a busy engine logs a line per run, and a synchronous write per line was a
  // noticeable share of a webhook run's CPU. Lines written meanwhile go out in one write; pino
  // flushes what is left when the process exits (a SIGKILL may lose the last lines, never a run
  // record: runs are recorded in the database, not the log).
  if (!readable) return pino.destination({ dest: 2, sync: false });
  return pretty({ destination: 2, sync: true, ignore: "pid,hostname,name", translateTime: "SYS:HH:MM:ss" });
}

export function createLogger(options: { level?: string; name?: string; destination?: DestinationStream } = {}): Logger {
  return pino(
    {
      name: options.name ?? "cliniko-flow",
      level: options.level ?? process.env.LOG_LEVEL ?? "info",
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
      serializers: { err: errSerializer },
    },
    options.destination ?? destination(),
  );
}

export const log = createLogger();
