/**
 * A Cliniko connection's test call (GET /user), as the API, the web page and the CLI all answer
 * it. Whatever kept it from connecting (the address policy, no such host, a closed port, no
 * answer) is one sentence, so the test cannot be used to map which hosts and ports answer inside
 * the network; what Cliniko itself answered (a 401 for a wrong key) is said as it is.
 */
import { UNREACHABLE } from "../net/outbound.ts";
import { ClinikoBaseUrlError, ClinikoError, ClinikoNetworkError } from "./errors.ts";
import type { ClinikoClient } from "./types.ts";

export type ClinikoTestResult =
  | { ok: true; user: { id?: string; name: string; email?: string } }
  | { ok: false; message: string };

export async function testClinikoConnection(
  client: () => Promise<ClinikoClient> | ClinikoClient,
): Promise<ClinikoTestResult> {
  try {
    const { body } = await (await client()).request<Record<string, unknown>>({ method: "GET", path: "/user" });
    const full = [body.first_name, body.last_name].filter(Boolean).join(" ");
    return {
      ok: true,
      user: {
        ...(body.id !== undefined ? { id: String(body.id) } : {}),
        name: full || String(body.email ?? "Cliniko user"),
        ...(typeof body.email === "string" ? { email: body.email } : {}),
      },
    };
  } catch (err) {
    if (err instanceof ClinikoNetworkError || err instanceof ClinikoBaseUrlError)
      return { ok: false, message: UNREACHABLE("Cliniko") };
    if (err instanceof ClinikoError) return { ok: false, message: err.message };
    throw err;
  }
}
