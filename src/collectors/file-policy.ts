/**
 * The one path policy of read_log_file and get_config. A requested path must be absolute (no NUL); it is
 * normalised and checked against the built-in deny-list and the allow-list, then resolved with realpath under
 * ctx.root and checked AGAIN on the resolved path, so a symlink (or `..`) out of the allow-list or onto a denied
 * file is refused. The deny-list (password hashes, private keys, ~/.ssh, process environments and memory) cannot
 * be lifted by config. Finally the first 4 KiB of the file are read: a private key is denied whatever its name.
 * Never throws: a refusal is `{ error }` with a message naming the rule, and a denied request is refused before
 * the file system is touched, so the answer never tells whether a denied file exists.
 */
import { closeSync, openSync, readSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { CollectorContext } from './context.js';

/** A glob as a RegExp: `*` and `?` stay within one path segment, `**` spans segments. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      if (glob[i + 2] === '/') {
        re += '(?:[^/]*/)*';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function matchesGlob(path: string, glob: string): boolean {
  return globToRegExp(glob).test(path);
}

export function matchesAny(path: string, globs: readonly string[]): boolean {
  return globs.some((g) => matchesGlob(path, g));
}

/** Built-in deny rules on a host path: [test, reason]. Config cannot lift them. */
const DENY: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\/etc\/g?shadow-?$/, 'password hashes'],
  [/^\/etc\/security\/opasswd$/, 'password hashes'],
  [/^\/etc\/ssl\/private(?:\/|$)/, 'private key'],
  [/(?:^|\/)\.ssh(?:\/|$)/, 'ssh directory'],
  [/(?:^|\/)\.gnupg(?:\/|$)/, 'private key'],
  [/\/id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?$/, 'private key'],
  [/\/ssh_host_[^/]*_key$/, 'private key'],
  [/\.(?:key|p12|pfx|keytab)$/i, 'private key'],
  [/(?:^|\/)(?:\.netrc|\.pgpass|\.git-credentials)$/, 'credentials file'],
  [/(?:^|\/)\.aws\/credentials$/, 'credentials file'],
  [/\/[^/]*[-.]secrets?$/, 'credentials file'],
  [/^\/proc\/(?:[^/]+\/)*environ$/, 'process environment'],
  [/^\/proc\/(?:[^/]+\/)*mem$|^\/proc\/kcore$/, 'process memory'],
];

/** The deny rule a host path falls under, or null. */
export function denyReason(hostPath: string): string | null {
  for (const [re, reason] of DENY) if (re.test(hostPath)) return reason;
  return null;
}

/** Content markers that deny a file whatever its name (checked in the first 4 KiB). */
const KEY_MARKERS = ['PRIVATE KEY-----', 'PuTTY-User-Key-File'];
export const CONTENT_CHECK_BYTES = 4096;

export function contentDenyReason(head: Buffer | string): string | null {
  const s = typeof head === 'string' ? head : head.toString('latin1');
  return KEY_MARKERS.some((m) => s.includes(m)) ? 'private key' : null;
}

/** Rotations of a log follow their base file: x.log.1, x.log.2.gz, x.log-20261124(.gz). */
const ROTATION = /(?:\.\d{1,4}|-\d{8})(?:\.gz)?$/;

export function rotationBase(hostPath: string): string | null {
  const base = hostPath.replace(ROTATION, '');
  return base !== hostPath && base !== '' ? base : null;
}

export interface AllowList {
  /** Config key named in refusals: logFiles or configFiles. */
  name: string;
  globs: readonly string[];
  /** Also allow rotations of an allowed file (logs). */
  rotations?: boolean;
}

function allowed(hostPath: string, list: AllowList): boolean {
  if (matchesAny(hostPath, list.globs)) return true;
  if (!list.rotations) return false;
  const base = rotationBase(hostPath);
  return base !== null && matchesAny(base, list.globs);
}

export interface AllowedFile {
  /** The path as asked, normalised. */
  requested: string;
  /** The resolved path on the host (realpath, relative to ctx.root). */
  hostPath: string;
  /** The resolved path on this machine (under ctx.root). */
  abs: string;
  sizeBytes: number;
  mtimeMs: number;
}

export type PolicyResult = AllowedFile | { error: string };

function errCode(e: unknown): string {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : 'EIO';
}

function denied(reason: string): { error: string } {
  return { error: `denied: ${reason} (built-in deny-list; config cannot lift it)` };
}

function notAllowed(list: AllowList, what: string): { error: string } {
  return { error: `${what} not in ${list.name} allow-list (${list.globs.join(', ') || 'empty'})` };
}

/** Host path of an absolute path under the real root. */
function hostPathUnder(rootReal: string, abs: string): string | null {
  if (rootReal === '/') return abs;
  if (abs === rootReal) return '/';
  return abs.startsWith(`${rootReal}/`) ? abs.slice(rootReal.length) : null;
}

function readHead(abs: string): Buffer | null {
  let fd: number;
  try {
    fd = openSync(abs, 'r');
  } catch {
    return null;
  }
  try {
    const buf = Buffer.alloc(CONTENT_CHECK_BYTES);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n);
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** Checks one requested path against the deny-list and an allow-list, before and after realpath. */
export function checkFilePath(ctx: CollectorContext, path: string, list: AllowList): PolicyResult {
  if (typeof path !== 'string' || !path.startsWith('/') || path.includes('\0') || path.length > 4096) {
    return { error: 'path must be an absolute path (starting with "/", no NUL, ≤ 4096 chars)' };
  }
  const requested = posix.normalize(path);
  // A file path never ends with "/": refused before anything else, so "/etc/ssh/ssh_host_rsa_key/" cannot slip past
  // the name rules (which anchor on the last segment) and ask the file system whether a denied file exists.
  if (requested.endsWith('/')) return { error: `not a regular file: ${requested} (a file path must not end with "/")` };
  // /proc/<pid>/root/x is x: checked as such before the file system is asked, so existence does not leak.
  const early = denyReason(requested) ?? denyReason(requested.replace(/^\/proc\/[^/]+\/root(?=\/)/, ''));
  if (early) return denied(early);
  if (!allowed(requested, list)) return notAllowed(list, requested);
  let rootReal: string;
  let abs: string;
  try {
    rootReal = realpathSync(ctx.root);
  } catch {
    return { error: `collector root ${ctx.root} is not readable` };
  }
  try {
    abs = realpathSync(join(ctx.root, requested));
  } catch (e) {
    const code = errCode(e);
    return { error: code === 'ENOENT' || code === 'ENOTDIR' ? `not found: ${requested}` : `cannot resolve ${requested}: ${code}` };
  }
  const hostPath = hostPathUnder(rootReal, abs);
  if (hostPath === null) return { error: `refused: ${requested} resolves outside the host root` };
  const late = denyReason(hostPath);
  if (late) return denied(late);
  if (!allowed(hostPath, list)) return notAllowed(list, `${requested} resolves to ${hostPath}, which is`);
  let st;
  try {
    st = statSync(abs);
  } catch (e) {
    return { error: `cannot stat ${requested}: ${errCode(e)}` };
  }
  if (!st.isFile()) return { error: `not a regular file: ${requested}` };
  const head = readHead(abs);
  if (head === null) return { error: `cannot read ${requested}` };
  const byContent = contentDenyReason(head);
  if (byContent) return denied(byContent);
  return { requested, hostPath, abs, sizeBytes: st.size, mtimeMs: st.mtimeMs };
}

/**
 * The rotations of an allowed log, newest first: x.1, x.2.gz, … then x-YYYYMMDD(.gz) newest date first. Each passes
 * the same policy; refused ones are left out (with the refusal in `refused`).
 */
export function listRotations(ctx: CollectorContext, base: AllowedFile, list: AllowList): { files: AllowedFile[]; refused: string[] } {
  const dir = posix.dirname(base.hostPath);
  const name = posix.basename(base.hostPath);
  let entries: string[];
  try {
    entries = readdirSync(join(ctx.root, dir));
  } catch {
    return { files: [], refused: [] };
  }
  const ranked: Array<{ entry: string; rank: number }> = [];
  for (const entry of entries) {
    if (!entry.startsWith(name) || entry === name) continue;
    const rest = entry.slice(name.length);
    const num = /^\.(\d{1,4})(?:\.gz)?$/.exec(rest);
    const date = /^-(\d{8})(?:\.gz)?$/.exec(rest);
    if (num) ranked.push({ entry, rank: Number(num[1]) });
    else if (date) ranked.push({ entry, rank: 1e9 - Number(date[1]) });
  }
  ranked.sort((a, b) => a.rank - b.rank || a.entry.length - b.entry.length);
  const files: AllowedFile[] = [];
  const refused: string[] = [];
  for (const { entry } of ranked.slice(0, 50)) {
    const r = checkFilePath(ctx, posix.join(dir, entry), list);
    if ('error' in r) refused.push(`${entry}: ${r.error}`);
    else files.push(r);
  }
  return { files, refused };
}
