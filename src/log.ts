import pino, { type DestinationStream, type Logger } from "pino";
import pretty from "pino-pretty";

/**
 * Paths pino censors wherever they appear: credentials never reach a log line. Patient data is
 * kept out of logs by not logging payloads at all; these paths are the safety net.
 */
export const REDACT_PATHS = [
  "apiKey",
  "api_key",
  "password",
  "token",
  "secret",
  "authorization",
  "cookie",
  "*.apiKey",
  "*.api_key",
  "*.password",
  "*.token",
  "*.secret",
  "*.authorization",
  "*.cookie",
  "headers.authorization",
  "req.headers.authorization",
  "req.headers.cookie",
];

/**
 * JSON lines for machines; readable lines when a person watches a terminal (LOG_FORMAT=json forces
 * JSON there too). Redaction happens before either formatter sees the record.
 */
function destination(): DestinationStream {
  const readable = process.stderr.isTTY && process.env.LOG_FORMAT !== "json";
  if (!readable) return pino.destination(2);
  return pretty({ destination: 2, sync: true, ignore: "pid,hostname,name", translateTime: "SYS:HH:MM:ss" });
}

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino(
    {
      name: options.name ?? "cliniko-flow",
      level: options.level ?? process.env.LOG_LEVEL ?? "info",
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    },
    destination(),
  );
}

export const log = createLogger();
