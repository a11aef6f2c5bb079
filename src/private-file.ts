/**
 * Files that hold secrets or patient data (the key file, the SQLite database, the demo password,
 * the sandbox's --data snapshot) are owner-only: written 0600 whatever the umask, and set back to
 * 0600 when found looser (restored from a backup, copied, or created by an older version).
 */
import { chmodSync, statSync, writeFileSync } from "node:fs";

/** Strips group and world access from an existing file. */
export function tightenMode(file: string): void {
  try {
    if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  } catch {
    // Filesystems without POSIX modes (Windows shares): nothing to tighten.
  }
}

/** Writes `text` to `file` as owner-only; an existing file keeps no looser mode. */
export function writePrivateFile(file: string, text: string, flag = "w"): void {
  writeFileSync(file, text, { mode: 0o600, flag });
  tightenMode(file);
}
