/**
 * Where an app's API lives. Each app has its vendor's fixed URL; a connection may point elsewhere
 * only while tests run (CLINIKO_FLOW_TEST=1, set by scripts/run-tests.ts) or for the sandbox demo
 * (CLINIKO_FLOW_APP_URLS=1), so neither a workflow nor a stored connection can aim a step holding
 * a vendor token at an arbitrary host (SSRF). Workflow input never carries a base URL at all.
 */
export function baseUrlOverrideAllowed(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CLINIKO_FLOW_TEST === "1" || env.CLINIKO_FLOW_APP_URLS === "1";
}

export class BaseUrlNotAllowedError extends Error {
  override name = "BaseUrlNotAllowedError";
  constructor() {
    super("An app connection's base URL can only be set in tests or the sandbox demo (CLINIKO_FLOW_APP_URLS=1).");
  }
}

/** The URL to call: the override when allowed, else the vendor's. */
export function appBaseUrl(vendorUrl: string, override: string | undefined): string {
  const url = override && baseUrlOverrideAllowed() ? override : vendorUrl;
  return url.replace(/\/+$/, "");
}
