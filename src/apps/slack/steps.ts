/** Slack's action: post a message to a channel (bot token) or the webhook's channel, optionally in a thread. */
import { z } from "zod";
import type { AppAction } from "../action.ts";
import { AppError } from "../errors.ts";
import { appRequest } from "../http.ts";
import type { AppConnection } from "../types.ts";
import { type SlackSettings, type SlackWebhookSettings, slackClient, slackError } from "./connection.ts";

export const PostMessageInput = z
  .object({
    channel: z
      .string()
      .optional()
      .describe("The channel: #front-desk or its ID (C…); not used with a webhook connection"),
    text: z.string().min(1).describe("The message (templated; Slack mrkdwn); also the notification text"),
    blocks: z.array(z.record(z.string(), z.unknown())).optional().describe("Block Kit blocks (optional)"),
    threadTs: z.string().optional().describe("Reply in this message's thread (its ts)").meta({ title: "Thread" }),
  })
  .describe("Post a Slack message");

type Input = z.output<typeof PostMessageInput>;

async function viaWebhook(c: AppConnection<SlackWebhookSettings>, input: Input) {
  // Slack's webhook answers 200 "ok", or 4xx with a plain-text reason (invalid_payload, no_service).
  await appRequest({
    app: "Slack",
    method: "POST",
    url: c.settings.url,
    body: {
      text: input.text,
      ...(input.blocks ? { blocks: input.blocks } : {}),
      ...(input.threadTs ? { thread_ts: input.threadTs } : {}),
    },
    limiter: c.limiter(),
    network: c.network,
  });
  return { ok: true, channel: null, ts: null };
}

async function viaBot(c: AppConnection<SlackSettings>, input: Input) {
  if (!input.channel) throw new AppError("Slack", "invalid", "Name the channel to post to (#front-desk or C…).");
  const limiter = c.limiter(input.channel);
  await limiter.acquire();
  try {
    const res = await slackClient(c).chat.postMessage({
      channel: input.channel,
      text: input.text,
      ...(input.blocks ? { blocks: input.blocks as never } : {}),
      ...(input.threadTs ? { thread_ts: input.threadTs } : {}),
    });
    return { ok: true, channel: res.channel ?? input.channel, ts: res.ts ?? null };
  } catch (err) {
    throw await slackError(err, c, input.channel);
  }
}

const postMessage: AppAction<Input> = {
  key: "slack.post_message",
  title: "Post a Slack message",
  keywords: ["chat", "notify", "front desk", "team"],
  group: "Slack",
  description: "Posts a chat message to a Slack channel, or replies in a thread (bot token or incoming webhook).",
  connections: ["slack", "slack-webhook"],
  input: PostMessageInput,
  outputSample: { ok: true, channel: "C0123456789", ts: "1712345678.000100" },
  safety: "write-once",
  run: (c, input) =>
    c.kind === "slack-webhook"
      ? viaWebhook(c as AppConnection<SlackWebhookSettings>, input)
      : viaBot(c as AppConnection<SlackSettings>, input),
};

export const slackActions = [postMessage];
