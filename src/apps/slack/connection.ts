/**
 * Slack two ways: a bot token (chat.postMessage to any channel the app is in, threads) through
 * Slack's own @slack/web-api client, or an incoming-webhook URL (one channel, nothing to install).
 */
import { ErrorCode, WebClient } from "@slack/web-api";
import { z } from "zod";
import { checkHost, guardedFetch } from "../../net/outbound.ts";
import { appBaseUrl } from "../base-url.ts";
import { AppError } from "../errors.ts";
import type { AppConnection, AppConnectionKind } from "../types.ts";
import { webhookUrl } from "../webhook-url.ts";

export const SlackSettings = z.object({
  token: z
    .string()
    .regex(/^xox[bp]-/, "must be a bot token (xoxb-…)")
    .describe("The app's Bot User OAuth Token, xoxb-… (write-only)"),
});
export type SlackSettings = z.output<typeof SlackSettings>;

export const SlackWebhookSettings = z.object({
  url: webhookUrl([/^hooks\.slack\.com$/], "hooks.slack.com/services").describe(
    "The incoming webhook URL, https://hooks.slack.com/services/… (write-only: the URL is the secret)",
  ),
});
export type SlackWebhookSettings = z.output<typeof SlackWebhookSettings>;

/**
 * Slack's client, pointed at the test fake only when allowed; retries are the runner's, not the
 * client's. Its requests connect through the address policy (a fetch with the guarded dispatcher).
 */
export function slackClient(c: AppConnection<SlackSettings>): WebClient {
  const api = new URL(`${appBaseUrl("https://slack.com", c.baseUrl)}/api/`);
  checkHost(api.hostname, c.network);
  return new WebClient(c.settings.token, {
    slackApiUrl: api.href,
    fetch: guardedFetch(c.network),
    allowAbsoluteUrls: false,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    timeout: 30_000,
  });
}

/** The client's errors as AppErrors; a 429 blocks the channel's limiter for Retry-After. */
export async function slackError(err: unknown, c: AppConnection, scope: string): Promise<AppError> {
  const e = err as { code?: string; data?: { error?: string }; retryAfter?: number; statusCode?: number };
  switch (e.code) {
    case ErrorCode.PlatformError:
      // Slack answers HTTP 200 with ok: false.
      return new AppError("Slack", "rejected", `Slack refused the message: ${e.data?.error ?? "unknown error"}.`, {
        status: 200,
      });
    case ErrorCode.RateLimitedError:
      await c.limiter(scope).blockUntil(Date.now() + (e.retryAfter ?? 1) * 1000);
      return new AppError("Slack", "rate_limited", "Slack is rate limiting messages (429).", { status: 429 });
    case ErrorCode.HTTPError:
      return (e.statusCode ?? 0) >= 500
        ? new AppError("Slack", "server", `Slack answered ${e.statusCode}.`, { status: e.statusCode })
        : new AppError("Slack", "rejected", `Slack refused the request (${e.statusCode}).`, { status: e.statusCode });
    default:
      return new AppError("Slack", "network", `Slack could not be reached (${(err as Error).message}).`, {
        maybeSent: true,
      });
  }
}

export const slackConnection: AppConnectionKind = {
  kind: "slack",
  title: "Slack (bot token)",
  description: "A Slack app's Bot User OAuth Token (api.slack.com/apps → OAuth & Permissions), with chat:write.",
  docs: "docs/apps/slack.md",
  settings: SlackSettings,
  secrets: ["token"],
  summary: () => "bot token",
  async test(connection) {
    const c = connection as AppConnection<SlackSettings>;
    try {
      const res = await slackClient(c).auth.test();
      return `The token works for workspace "${res.team ?? "?"}" as ${res.user ?? "the bot"}.`;
    } catch (err) {
      throw await slackError(err, c, "auth");
    }
  },
};

export const slackWebhookConnection: AppConnectionKind = {
  kind: "slack-webhook",
  title: "Slack (incoming webhook)",
  description: "An incoming webhook URL (Slack app → Incoming Webhooks → Add New Webhook): posts to one channel.",
  docs: "docs/apps/slack.md",
  settings: SlackWebhookSettings,
  secrets: ["url"],
  summary: () => "incoming webhook",
  // Posting is the only call a webhook has: there is nothing harmless to call, so check the form.
  async test() {
    return "The webhook URL is well formed (Slack webhooks have no test call: send a message to check it).";
  },
};
