/**
 * The apps' step kinds, registered in the step registry through this one list. An app is a
 * folder here: its connection kind (connection.ts, listed in connection-kinds.ts) and its
 * actions, one table row each (steps.ts).
 */
import type { StepKind } from "../steps/types.ts";
import { emailActions } from "./email/steps.ts";
import { hubspotActions } from "./hubspot/steps.ts";
import { mailchimpActions } from "./mailchimp/steps.ts";
import { sheetsActions } from "./sheets/steps.ts";
import { slackActions } from "./slack/steps.ts";
import { type AppAction, appStep } from "./step.ts";
import { teamsActions } from "./teams/steps.ts";
import { twilioActions } from "./twilio/steps.ts";

// Each row is typed by its own input and settings; the registry only needs them as StepKinds.
const actions = [
  ...emailActions,
  ...twilioActions,
  ...slackActions,
  ...teamsActions,
  ...sheetsActions,
  ...hubspotActions,
  ...mailchimpActions,
] as readonly unknown[] as readonly AppAction[];

export const appSteps: readonly StepKind[] = actions.map((a) => appStep(a));
