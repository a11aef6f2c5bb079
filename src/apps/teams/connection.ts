/** A Microsoft Teams channel's incoming webhook or Workflows ("Post to a channel when a webhook request is received") URL. */
import { z } from "zod";
import type { AppConnectionKind } from "../types.ts";
import { webhookUrl } from "../webhook-url.ts";

export const TeamsSettings = z.object({
  url: webhookUrl(
    [/\.webhook\.office\.com$/, /\.logic\.azure\.com$/, /\.api\.powerplatform\.com$/],
    "….webhook.office.com or ….logic.azure.com",
  ).describe("The channel's Workflows or incoming-webhook URL (write-only: the URL is the secret)"),
});
export type TeamsSettings = z.output<typeof TeamsSettings>;

export const teamsConnection: AppConnectionKind = {
  kind: "teams",
  title: "Microsoft Teams (webhook)",
  description:
    "A channel's Workflows URL (channel → Workflows → Post to a channel when a webhook request is received) or incoming-webhook URL.",
  docs: "docs/apps/teams.md",
  settings: TeamsSettings,
  secrets: ["url"],
  summary: () => "channel webhook",
  async test() {
    return "The webhook URL is well formed (Teams webhooks have no test call: send a message to check it).";
  },
};
