/**
 * A real SMTP server for tests (smtp-server, in process, on a free loopback port): STARTTLS with
 * its built-in certificate, PLAIN/LOGIN for the user `clinic` with the given password, and every
 * message kept with a snapshot of its session (envelope, whether TLS was on).
 */
import type { AddressInfo } from "node:net";
import { SMTPServer, type SMTPServerSession } from "smtp-server";

export interface ReceivedMail {
  session: SMTPServerSession;
  raw: string;
  /** The envelope's recipients. */
  to: string[];
}

export async function startSmtpServer(password: string): Promise<{
  port: number;
  received: ReceivedMail[];
  /** Connections opened and logins tried, whatever came of them. */
  seen: { connections: number; logins: number };
  close(): Promise<void>;
}> {
  const received: ReceivedMail[] = [];
  const seen = { connections: 0, logins: 0 };
  const server = new SMTPServer({
    logger: false,
    onConnect(_session, cb) {
      seen.connections++;
      cb();
    },
    authMethods: ["PLAIN", "LOGIN"],
    onAuth(auth, _session, cb) {
      seen.logins++;
      if (auth.username === "clinic" && auth.password === password) cb(null, { user: "clinic" });
      else cb(new Error("Invalid username or password"));
    },
    onData(stream, session, cb) {
      let raw = "";
      stream.on("data", (c: Buffer) => {
        raw += c.toString("utf8");
      });
      stream.on("end", () => {
        received.push({
          session: structuredClone({
            ...session,
            envelope: session.envelope,
            secure: session.secure,
          }) as SMTPServerSession,
          raw,
          to: session.envelope.rcptTo.map((r) => r.address),
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.server.address() as AddressInfo).port,
    received,
    seen,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
