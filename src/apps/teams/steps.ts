/** Teams' action: post a card to the channel behind the webhook (an Adaptive Card in a message, which both kinds of URL accept). */
import { z } from "zod";
import type { AppAction } from "../action.ts";
import { appRequest } from "../http.ts";
import type { TeamsSettings } from "./connection.ts";

export const TeamsMessageInput = z
  .object({
    title: z.string().optional().describe("A bold heading (templated)"),
    text: z.string().min(1).describe("The message (templated; Markdown)"),
  })
  .describe("Post a Teams message");

type Input = z.output<typeof TeamsMessageInput>;

export function teamsCard(input: Input) {
  const body = [
    ...(input.title ? [{ type: "TextBlock", text: input.title, weight: "Bolder", size: "Medium", wrap: true }] : []),
    { type: "TextBlock", text: input.text, wrap: true },
  ];
  return {
    type: "message",
    attachments: [
      {
        contentType: "application/vnd.microsoft.card.adaptive",
        content: {
          $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
          type: "AdaptiveCard",
          version: "1.4",
          body,
        },
      },
    ],
  };
}

const postMessage: AppAction<Input, TeamsSettings> = {
  key: "teams.post_message",
  title: "Post a Microsoft Teams message",
  keywords: ["chat", "notify", "front desk", "team"],
  group: "Microsoft Teams",
  description: "Posts a chat message card to a Teams channel through its webhook.",
  connections: ["teams"],
  input: TeamsMessageInput,
  outputSample: { ok: true },
  safety: "write-once",
  async run(c, input) {
    await appRequest({
      app: "Teams",
      method: "POST",
      url: c.settings.url,
      body: teamsCard(input),
      limiter: c.limiter(),
      network: c.network,
    });
    return { ok: true };
  },
};

export const teamsActions = [postMessage];
