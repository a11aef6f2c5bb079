/** A HubSpot private app's access token as a connection kind. */
import { z } from "zod";
import { appBaseUrl } from "../base-url.ts";
import { type AppRequest, appRequest } from "../http.ts";
import type { AppConnection, AppConnectionKind } from "../types.ts";

export const HubSpotSettings = z.object({
  token: z.string().min(10).describe("The private app's access token, pat-… (write-only)"),
});
export type HubSpotSettings = z.output<typeof HubSpotSettings>;

/** HubSpot's error body: `{ status: "error", message, correlationId, category }`. */
const hubspotMessage = (body: unknown) => (body as { message?: string } | null)?.message;

export function hubspot<T>(
  c: AppConnection<HubSpotSettings>,
  req: Pick<AppRequest, "method" | "body"> & { path: string },
) {
  return appRequest<T>({
    app: "HubSpot",
    method: req.method,
    url: `${appBaseUrl("https://api.hubapi.com", c.baseUrl)}${req.path}`,
    headers: { authorization: `Bearer ${c.settings.token}` },
    body: req.body,
    limiter: c.limiter(),
    network: c.network,
    errorMessage: hubspotMessage,
  });
}

export const hubspotConnection: AppConnectionKind = {
  kind: "hubspot",
  title: "HubSpot (private app)",
  description:
    "A private app's access token (HubSpot → Settings → Integrations → Private apps) with the contacts read/write scopes.",
  docs: "docs/apps/hubspot.md",
  settings: HubSpotSettings,
  secrets: ["token"],
  summary: () => "private app",
  async test(connection) {
    await hubspot(connection as AppConnection<HubSpotSettings>, {
      method: "GET",
      path: "/crm/v3/objects/contacts?limit=1",
    });
    return "The token can read contacts.";
  },
};
