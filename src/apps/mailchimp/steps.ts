/**
 * Mailchimp: add or update an audience member. Whether the patient agreed to marketing is the
 * workflow's decision (a filter on `accepted_email_marketing`, as the template does), not this step's.
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import type { AppAction } from "../action.ts";
import { type MailchimpSettings, mailchimp } from "./connection.ts";

export const UpsertMemberInput = z
  .object({
    audienceId: z
      .string()
      .min(1)
      .describe("The audience (list) ID: Audience → Settings → Audience name and defaults")
      .meta({ title: "Audience ID" }),
    email: z.string().email().describe("The member's email"),
    status: z
      .enum(["subscribed", "pending", "unsubscribed", "transactional"])
      .default("subscribed")
      .describe("subscribed, or pending to send a confirmation email first"),
    mergeFields: z
      .record(z.string(), z.union([z.string(), z.number()]))
      .optional()
      .describe("Merge fields by tag, e.g. { FNAME: Jo, LNAME: Citizen }")
      .meta({ title: "Merge fields" }),
    tags: z.array(z.string()).optional().describe("Tags to add, e.g. [new-patient]"),
  })
  .describe("Add or update a Mailchimp audience member");

/** Mailchimp addresses a member by the MD5 of the lowercased email. */
export const subscriberHash = (email: string) => createHash("md5").update(email.trim().toLowerCase()).digest("hex");

const upsertMember: AppAction<z.output<typeof UpsertMemberInput>, MailchimpSettings> = {
  key: "mailchimp.upsert_member",
  title: "Add or update a Mailchimp member",
  keywords: ["newsletter", "marketing", "email list", "audience"],
  group: "Mailchimp",
  description: "Adds an email marketing audience member, or updates theirs: status, merge fields, tags.",
  connections: ["mailchimp"],
  input: UpsertMemberInput,
  outputSample: { id: "0a1b2c3d4e5f60718293a4b5c6d7e8f9", status: "subscribed" },
  safety: "idempotent",
  async run(c, i) {
    const member = `/lists/${encodeURIComponent(i.audienceId)}/members/${subscriberHash(i.email)}`;
    const { body } = await mailchimp<{ id: string; status: string }>(c, {
      method: "PUT",
      path: member,
      body: {
        email_address: i.email,
        status_if_new: i.status,
        ...(i.mergeFields ? { merge_fields: i.mergeFields } : {}),
      },
    });
    if (i.tags?.length)
      await mailchimp(c, {
        method: "POST",
        path: `${member}/tags`,
        body: { tags: i.tags.map((name) => ({ name, status: "active" })) },
      });
    return { id: body.id, status: body.status };
  },
};

export const mailchimpActions = [upsertMember];
