/**
 * The apps' actions, in one list the step registry turns into step kinds (src/steps/apps.ts). An
 * app is a folder here: its connection kind (connection.ts, listed in connections.ts) and its
 * actions, one table row each (steps.ts).
 */
import type { AppAction } from "./action.ts";
import { emailActions } from "./email/steps.ts";
import { hubspotActions } from "./hubspot/steps.ts";
import { mailchimpActions } from "./mailchimp/steps.ts";
import { sheetsActions } from "./sheets/steps.ts";
import { slackActions } from "./slack/steps.ts";
import { teamsActions } from "./teams/steps.ts";
import { twilioActions } from "./twilio/steps.ts";

// Each row is typed by its own input and settings; the registry only needs them as AppActions.
const actions = [
  ...emailActions,
  ...twilioActions,
  ...slackActions,
  ...teamsActions,
  ...sheetsActions,
  ...hubspotActions,
  ...mailchimpActions,
] as readonly unknown[] as readonly AppAction[];

export { actions as appActions };
