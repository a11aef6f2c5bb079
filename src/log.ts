import pino, { type Logger } from "pino";

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

export function createLogger(options: { level?: string; name?: string } = {}): Logger {
  return pino(
    {
      name: options.name ?? "cliniko-flow",
      level: options.level ?? process.env.LOG_LEVEL ?? "info",
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    },
    pino.destination(2),
  );
}

export const log = createLogger();
