/**
 * What one webhook URL may make the server store, so that whoever holds the URL cannot fill the
 * disk: a body size limit, and per workflow a cap on runs waiting in the queue and on the bytes of
 * trigger payloads kept (runs stay for RUN_RETENTION_DAYS). Past a cap the post is refused with
 * `Retry-After`: 429 while the queue is full (it drains in seconds), 503 while the storage is
 * full (it frees as retention prunes old runs, or when they are erased).
 */

export interface WebhookLimits {
  /** Largest request body accepted, bytes (CLINIKO_FLOW_WEBHOOK_BODY_LIMIT; default 256 KiB). */
  bodyBytes: number;
  /** Runs of one workflow waiting in the queue (CLINIKO_FLOW_WEBHOOK_MAX_QUEUED; default 1000). */
  maxQueuedRuns: number;
  /** Bytes of trigger payloads one workflow's runs may hold (CLINIKO_FLOW_WEBHOOK_MAX_STORED_MB; default 256 MiB). */
  maxStoredBytes: number;
}

export const DEFAULT_WEBHOOK_LIMITS: WebhookLimits = {
  bodyBytes: 256 * 1024,
  maxQueuedRuns: 1000,
  maxStoredBytes: 256 * 1024 * 1024,
};

/** Seconds a sender is told to wait: the queue drains quickly; storage frees only with retention. */
export const RETRY_AFTER_QUEUE_FULL_S = 30;
export const RETRY_AFTER_STORAGE_FULL_S = 3600;

function whole(env: NodeJS.ProcessEnv, name: string, unit: string): number | undefined {
  const raw = env[name]?.trim();
  if (!raw) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < 1)
    throw new Error(`${name} must be a whole number of ${unit} (at least 1), not "${raw}".`);
  return Number(raw);
}

export function webhookLimitsFromEnv(env: NodeJS.ProcessEnv): WebhookLimits {
  const mb = whole(env, "CLINIKO_FLOW_WEBHOOK_MAX_STORED_MB", "megabytes");
  return {
    bodyBytes: whole(env, "CLINIKO_FLOW_WEBHOOK_BODY_LIMIT", "bytes") ?? DEFAULT_WEBHOOK_LIMITS.bodyBytes,
    maxQueuedRuns: whole(env, "CLINIKO_FLOW_WEBHOOK_MAX_QUEUED", "runs") ?? DEFAULT_WEBHOOK_LIMITS.maxQueuedRuns,
    maxStoredBytes: mb === undefined ? DEFAULT_WEBHOOK_LIMITS.maxStoredBytes : mb * 1024 * 1024,
  };
}
