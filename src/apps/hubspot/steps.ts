/** HubSpot CRM: create or update a contact by email, add a note to a contact. */
import { z } from "zod";
import type { AppAction } from "../action.ts";
import { AppError } from "../errors.ts";
import { type HubSpotSettings, hubspot } from "./connection.ts";

export const UpsertContactInput = z
  .object({
    email: z.string().email().describe("The contact's email (how HubSpot finds an existing contact)"),
    firstName: z.string().optional().describe("First name (HubSpot's firstname)").meta({ title: "First name" }),
    lastName: z.string().optional().describe("Last name (HubSpot's lastname)").meta({ title: "Last name" }),
    phone: z.string().optional().describe("Phone number"),
    properties: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
      .optional()
      .describe("Other contact properties by their internal name, e.g. { lifecyclestage: customer }"),
  })
  .describe("Create or update a HubSpot contact");

type Contact = { id: string };

const enc = encodeURIComponent;

const upsertContact: AppAction<z.output<typeof UpsertContactInput>, HubSpotSettings> = {
  key: "hubspot.upsert_contact",
  title: "Create or update a HubSpot contact",
  keywords: ["crm", "contact", "marketing"],
  group: "HubSpot",
  description: "Creates a CRM contact, or updates the one with that email.",
  connections: ["hubspot"],
  input: UpsertContactInput,
  outputSample: { id: "51", created: true },
  // Keyed by email: a repeat updates the same contact.
  safety: "idempotent",
  async run(c, i) {
    const properties = {
      email: i.email,
      ...(i.firstName !== undefined ? { firstname: i.firstName } : {}),
      ...(i.lastName !== undefined ? { lastname: i.lastName } : {}),
      ...(i.phone !== undefined ? { phone: i.phone } : {}),
      ...i.properties,
    };
    try {
      const { body } = await hubspot<Contact>(c, {
        method: "POST",
        path: "/crm/v3/objects/contacts",
        body: { properties },
      });
      return { id: body.id, created: true };
    } catch (err) {
      // 409: a contact with this email exists; update it by email instead.
      if (!(err instanceof AppError && err.status === 409)) throw err;
    }
    const { body } = await hubspot<Contact>(c, {
      method: "PATCH",
      path: `/crm/v3/objects/contacts/${enc(i.email)}?idProperty=email`,
      body: { properties },
    });
    return { id: body.id, created: false };
  },
};

export const AddNoteInput = z
  .object({
    contactId: z
      .string()
      .optional()
      .describe("The contact's HubSpot ID (or give its email)")
      .meta({ title: "Contact ID" }),
    email: z.string().email().optional().describe("The contact's email, when the ID is not known"),
    body: z.string().min(1).describe("The note (templated; HTML allowed)"),
  })
  .refine((i) => Boolean(i.contactId || i.email), { message: "give contactId or email", path: ["contactId"] })
  .describe("Add a note to a HubSpot contact");

/** HubSpot's defined association type for note → contact. */
const NOTE_TO_CONTACT = 202;

const addNote: AppAction<z.output<typeof AddNoteInput>, HubSpotSettings> = {
  key: "hubspot.add_note",
  title: "Add a note to a HubSpot contact",
  keywords: ["crm", "contact", "marketing"],
  group: "HubSpot",
  description: "Adds a note to a CRM contact's timeline.",
  connections: ["hubspot"],
  input: AddNoteInput,
  outputSample: { id: "8801", contactId: "51" },
  safety: "write-once",
  async run(c, i) {
    let contactId = i.contactId;
    if (!contactId) {
      const { body } = await hubspot<Contact>(c, {
        method: "GET",
        path: `/crm/v3/objects/contacts/${enc(i.email!)}?idProperty=email`,
      });
      contactId = body.id;
    }
    const { body } = await hubspot<{ id: string }>(c, {
      method: "POST",
      path: "/crm/v3/objects/notes",
      body: {
        properties: { hs_note_body: i.body, hs_timestamp: new Date().toISOString() },
        associations: [
          {
            to: { id: contactId },
            types: [{ associationCategory: "HUBSPOT_DEFINED", associationTypeId: NOTE_TO_CONTACT }],
          },
        ],
      },
    });
    return { id: body.id, contactId };
  },
};

export const hubspotActions = [upsertContact, addNote];
