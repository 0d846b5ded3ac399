/**
 * The one path policy of read_log_file and get_config. A requested path must be absolute (no NUL); it is
 * normalised and checked against the built-in deny-list and the allow-list BEFORE the file system is touched (so
 * the answer never tells whether a denied file exists), then opened once without following any symlink, and every
 * further check runs on that descriptor: regular file, a single link, not one of the server's protected inodes,
 * no password hashes or private key in the head. The deny-list cannot be lifted by config. Never throws: a refusal
 * is `{ error }` with a message naming the rule and never what a symlink points to.
 */
import { readdirSync, realpathSync } from 'node:fs';
import { join, posix } from 'node:path';
import type { CollectorContext } from './context.js';
import { NO_PROTECTED_FILES } from './protected-files.js';
import type { ProtectedFiles } from './protected-files.js';
import { openNoFollow, preadFully, safeClose } from './safe-open.js';

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

function matchesAny(path: string, globs: readonly string[]): boolean {
  return globs.some((g) => matchesGlob(path, g));
}

/** Backup and editor forms a secret file's name may take: shadow.bak, shadow~, shadow-, shadow.old, .shadow.swp, #shadow#. */
const BACKUP = String.raw`(?:[-~.#_][^/]*)?`;

/**
 * Built-in deny rules on a host path: [test, reason]. Config cannot lift them. Names are matched with their backup
 * and rotation forms, since a copy keeps the secret whatever its suffix (/var/backups/shadow.bak, id_rsa.orig).
 */
const DENY: ReadonlyArray<readonly [RegExp, string]> = [
  // shadow, gshadow, opasswd in any directory, as a whole word of the name: shadow.bak, etc-shadow.old, .shadow.swp.
  [/(?:^|\/)[^/]*(?<![a-z0-9])g?shadow(?![a-z0-9])[^/]*$/i, 'password hashes'],
  [/(?:^|\/)[^/]*(?<![a-z0-9])opasswd(?![a-z0-9])[^/]*$/i, 'password hashes'],
  [/^\/etc\/ssl\/private(?:\/|$)/, 'private key'],
  [/\/(?:ssl|tls|pki)\/(?:[^/]+\/)*private(?:\/|$)/, 'private key'],
  [/(?:^|\/)\.ssh(?:\/|$)/, 'ssh directory'],
  [/(?:^|\/)\.gnupg(?:\/|$)/, 'private key'],
  [new RegExp(String.raw`\/[.#]?id_(?:rsa|dsa|ecdsa|ed25519)(?:_sk)?(?!\.pub$)${BACKUP}$`), 'private key'],
  [new RegExp(String.raw`\/[.#]?ssh_host_[^/]*_key(?!\.pub$)${BACKUP}$`), 'private key'],
  [new RegExp(String.raw`\.(?:key|p12|pfx|keytab|jks|keystore|ppk)(?!\.pub$)${BACKUP}$`, 'i'), 'private key'],
  [new RegExp(String.raw`\/privkey[^/]*\.pem${BACKUP}$`, 'i'), 'private key'],
  [new RegExp(String.raw`(?:^|\/)[.#]?(?:\.netrc|\.pgpass|\.git-credentials)${BACKUP}$`), 'credentials file'],
  [new RegExp(String.raw`(?:^|\/)\.aws\/credentials${BACKUP}$`), 'credentials file'],
  [new RegExp(String.raw`\/[^/]*[-.]secrets?${BACKUP}$`), 'credentials file'],
  [/^\/proc\/(?:[^/]+\/)*environ$/, 'process environment'],
  [/^\/proc\/(?:[^/]+\/)*mem$|^\/proc\/kcore$/, 'process memory'],
];

/** The deny rule a host path falls under, or null. */
export function denyReason(hostPath: string): string | null {
  for (const [re, reason] of DENY) if (re.test(hostPath)) return reason;
  return null;
}

/** Content markers of a private key (PEM of any key type, OpenSSH, PuTTY). */
const KEY_MARKER = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----|PuTTY-User-Key-File-\d/;
/** Lines a PEM bundle may hold around its blocks (openssl pkcs12 / x509 output) without being anything else. */
const PEM_FURNITURE = /^\s*$|^(?:Bag|Key) Attributes|^\s+[\w .-]+:|^(?:subject|issuer)=|^(?:Proc-Type|DEK-Info|Comment):/;
/**
 * A password-hash line as in shadow, gshadow, opasswd or htpasswd: `name:$id$…` with a crypt(3) id (`!` and `*`
 * prefixes of a locked account included).
 */
const HASH_LINE = /^[^\s:]{1,64}:[!*]*\$(?:1|2[abxy]?|5|6|7|y|gy|apr1|md5|sha1|argon2(?:id|i|d))\$/m;
export const CONTENT_CHECK_BYTES = 4096;

/**
 * The head of a key FILE: its first non-blank content is a private key (or a PEM bundle holding one: certificates,
 * attribute lines and blank lines before the key, nothing else).
 */
function isKeyFileHead(head: string): boolean {
  const at = head.search(KEY_MARKER);
  if (at === -1) return false;
  let inBlock = false;
  for (const line of head.slice(0, at).split('\n')) {
    if (/^-----BEGIN /.test(line)) inBlock = true;
    else if (/^-----END /.test(line)) inBlock = false;
    else if (!inBlock && !PEM_FURNITURE.test(line)) return false;
  }
  return true;
}

/**
 * The content rule a file's head falls under, or null. `config`: any private-key marker denies (a config file is
 * returned whole); `log`: only a key FILE is denied, since a key logged among other lines is redacted line by line.
 * Password-hash lines deny both.
 */
export function contentDenyReason(head: Buffer | string, mode: 'config' | 'log' = 'config'): string | null {
  const s = typeof head === 'string' ? head : head.toString('latin1');
  if (HASH_LINE.test(s)) return 'password hashes';
  if (mode === 'config' ? KEY_MARKER.test(s) : isKeyFileHead(s)) return 'private key';
  return null;
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

interface AllowedFile {
  /** The path as asked, normalised. */
  requested: string;
  /** The path on the host that was opened: always the requested one (no symlink is followed). */
  hostPath: string;
  /** The path on this machine (under ctx.root). */
  abs: string;
  sizeBytes: number;
  mtimeMs: number;
}

/** An allowed file, open: every check was made on this descriptor, and reads must use it (pread). */
export interface OpenedFile extends AllowedFile {
  fd: number;
}

type PolicyResult = AllowedFile | { error: string };
export type OpenResult = OpenedFile | { error: string };

export interface OpenOptions {
  /** The server's protected files (protected-files.ts); default: none beyond the name rules. */
  protect?: ProtectedFiles;
  /** Which content rule applies to the head (contentDenyReason); default config. */
  content?: 'config' | 'log';
}

function denied(reason: string): { error: string } {
  return { error: `denied: ${reason} (built-in deny-list; config cannot lift it)` };
}

function notAllowed(list: AllowList, what: string): { error: string } {
  return { error: `${what} not in ${list.name} allow-list (${list.globs.join(', ') || 'empty'})` };
}

/** Closes an opened file (idempotent enough for finally blocks: errors are ignored). */
export function closeFile(file: { fd: number }): void {
  safeClose(file.fd);
}

/**
 * Checks one requested path against the deny-list and an allow-list, then opens it ONCE without following any
 * symlink (safe-open.ts) and checks that descriptor: a regular file, one link only (a hard link's other names may be
 * anywhere, so a second name is refused, rotations included), not a protected inode nor in a protected directory,
 * and a head without password hashes or a private key (per `content`). The caller must closeFile() the result.
 * Never throws. A denied name is refused before the file system is touched, so the answer never tells whether a
 * denied file exists; no refusal names what a symlink points to.
 */
export function openAllowedFile(ctx: CollectorContext, path: string, list: AllowList, opts: OpenOptions = {}): OpenResult {
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
  try {
    rootReal = realpathSync(ctx.root);
  } catch {
    return { error: `collector root ${ctx.root} is not readable` };
  }
  const o = openNoFollow(rootReal, requested);
  if ('error' in o) {
    if (o.error === 'symlink') return { error: `refused: a symlink in the path ${requested} (symlinks are never followed)` };
    if (o.error === 'verify') return { error: `refused: ${requested} is not the file that was opened (a symlink in the path, or it moved)` };
    if (o.error === 'notFound' || o.error === 'notDirectory') return { error: `not found: ${requested}` };
    return { error: `cannot open ${requested}: ${o.code}` };
  }
  const abs = rootReal === '/' ? requested : `${rootReal}${requested}`;
  const refuse = (r: { error: string }): { error: string } => {
    safeClose(o.fd);
    return r;
  };
  const st = o.st;
  if (!st.isFile()) return refuse({ error: `not a regular file: ${requested}` });
  const protect = opts.protect ?? NO_PROTECTED_FILES;
  if (protect.isProtected(st, o.dirs.at(-1), posix.basename(requested))) return refuse(denied('a file the server protects'));
  if (st.nlink > 1n) return refuse({ error: `refused: ${requested} is hard-linked (${st.nlink} names): another name of it may be outside the allow-list` });
  let head: Buffer;
  try {
    head = preadFully(o.fd, 0, CONTENT_CHECK_BYTES);
  } catch (e) {
    return refuse({ error: `cannot read ${requested}: ${errCode(e)}` });
  }
  const byContent = contentDenyReason(head, opts.content ?? 'config');
  if (byContent) return refuse(denied(byContent));
  return { requested, hostPath: requested, abs, sizeBytes: Number(st.size), mtimeMs: Number(st.mtimeMs), fd: o.fd };
}

function errCode(e: unknown): string {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : 'EIO';
}

/** openAllowedFile, closed again: whether a path passes the policy now (listings, completion, tests). */
export function checkFilePath(ctx: CollectorContext, path: string, list: AllowList, opts: OpenOptions = {}): PolicyResult {
  const r = openAllowedFile(ctx, path, list, opts);
  if ('error' in r) return r;
  closeFile(r);
  const { fd: _fd, ...file } = r;
  return file;
}

/**
 * The rotations of an allowed log, newest first, as host paths: x.1, x.2.gz, … then x-YYYYMMDD(.gz) newest date
 * first (at most 50). Not opened here: each is opened (and checked) with openAllowedFile when it is read.
 */
export function listRotations(ctx: CollectorContext, base: AllowedFile): string[] {
  const dir = posix.dirname(base.hostPath);
  const name = posix.basename(base.hostPath);
  let entries: string[];
  try {
    entries = readdirSync(join(ctx.root, dir));
  } catch {
    return [];
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
  return ranked.slice(0, 50).map(({ entry }) => posix.join(dir, entry));
}
