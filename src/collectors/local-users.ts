/**
 * Local user names → uids, for the `allowedLocalUsers` setting. Names are
 * looked up in `/etc/passwd` of the real host (never the collectors' replay
 * root) once, when the configuration is loaded: hostlens runs no program to
 * ask NSS (`getent`), so users known only to LDAP/SSSD are given by uid.
 */
import { readFileSync } from 'node:fs';

/** `name:x:uid:…` lines → name → uid (the first line of a name wins, as in getpwnam). */
export function parsePasswd(text: string): Map<string, number> {
  const users = new Map<string, number>();
  for (const line of text.split('\n')) {
    const [name, , uid] = line.split(':');
    if (!name || uid === undefined || !/^\d+$/.test(uid) || users.has(name)) continue;
    users.set(name, Number(uid));
  }
  return users;
}

interface ResolvedUsers {
  uids: number[];
  /** Names that are not in the passwd text. */
  unknown: string[];
}

/** Numbers are uids as they are; names are looked up in `passwd` (default: /etc/passwd, read now). */
export function resolveLocalUsers(entries: ReadonlyArray<string | number>, passwd?: string): ResolvedUsers {
  const names = entries.filter((e): e is string => typeof e === 'string');
  let users = new Map<string, number>();
  if (names.length > 0) {
    try {
      users = parsePasswd(passwd ?? readFileSync('/etc/passwd', 'utf8'));
    } catch {
      // No readable passwd: every name is unknown, and the caller refuses the setting.
    }
  }
  const uids: number[] = [];
  const unknown: string[] = [];
  for (const e of entries) {
    const uid = typeof e === 'number' ? e : users.get(e);
    if (uid === undefined) unknown.push(String(e));
    else if (!uids.includes(uid)) uids.push(uid);
  }
  return { uids, unknown };
}
