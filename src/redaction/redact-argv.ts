/**
 * Command-line forms of secrets (one line at a time):
 *  - `--flag value`, `--flag:value`, `-flag value` with a secret flag name
 *    (`--password`, `--db-password`, `-storepass`, `--pw`, `--token`, …; see
 *    redact-keys.ts); a value may start with a dash (`--password -x9!`) but
 *    not be a lone flag letter or a `--long` flag (`mysql --password -h db`
 *    prompts); `--auth X` and `--key X` only when X looks like a credential;
 *  - short flags of programs known to take a password with them: `-p` of the
 *    MySQL/MariaDB and MongoDB clients, sshpass, `docker|podman login` (as
 *    `-p X` and `-pX`), `-a` of redis-cli, `-w` of the ldap tools, `-P` of
 *    ipmitool/sqlcmd/zip, `-u`/`-U user:password` of curl, `-U user%password`
 *    of the Samba tools. Any other program's `-p 8080`, `-p /dir`, `-u 1000:1000`
 *    is left alone: a short flag means nothing without its program;
 *  - `--user`/`--proxy-user user:password` anywhere (not `uid:gid`, `www-data:www-data`);
 *  - openssl's `-passin pass:X`.
 *
 * Linear: one pass over the line's tokens per rule, every token bounded.
 */
import { isPlainValue, isSecretFlag, isWeakSecretFlag } from './redact-keys.js';
import { type Emit, REDACTED, credentialLike, maskKeepingQuotes, unquote } from './redact-core.js';

/** A file name or a small number: what `--key` takes when it is not a secret. */
const NOT_A_KEY = /^(?:[0-9.,:]+|[\w.-]{1,64}\.[A-Za-z0-9]{1,5})$/;

/** The value of `--auth`/`--key`: a secret only when it looks like a credential, not a word, number or file name. */
export function weakFlagValueIsSecret(v: string): boolean {
  return !isPlainValue(v) && !NOT_A_KEY.test(v) && credentialLike(v) && /[A-Za-z]/.test(v);
}

// ---- long flags --------------------------------------------------------------

const FLAG = /(?<![A-Za-z0-9_-])(--?[A-Za-z][A-Za-z0-9_.-]{0,127})([ \t]+|:)((?:"[^"\n]{0,4096}"?|'[^'\n]{0,4096}'?|-?[^\s"'-])[^\s]{0,4095})/g;
/** A value that is itself a flag: `-h`, `-v`, `-verbose`. */
const FLAG_LIKE = /^-[A-Za-z](?:[a-z-]*)$/;

export function redactFlags(line: string, emit: Emit): string {
  if (!line.includes('-')) return line;
  return line.replace(FLAG, (all: string, flag: string, sep: string, value: string) => {
    if (sep === ':' && !flag.startsWith('--')) return all; // `-Dx:y`, `-o:z` are not `--flag:value`
    const v = unquote(value);
    if (value.startsWith('-') && (FLAG_LIKE.test(value) || value.length < 4)) return all;
    if (isSecretFlag(flag)) {
      if (isPlainValue(v)) return all;
    } else if (!isWeakSecretFlag(flag) || !weakFlagValueIsSecret(v)) return all;
    emit('cli_flag');
    return `${flag}${sep}${maskKeepingQuotes(value)}`;
  });
}

// ---- short flags of known programs -------------------------------------------

type Part = 'whole' | 'colon' | 'percent';
const MYSQL = ['mysql', 'mysqldump', 'mysqladmin', 'mysqlimport', 'mysqlcheck', 'mysqlshow', 'mysqlpump', 'mysqlslap', 'mysqlbinlog', 'mysqlsh', 'mariadb', 'mariadb-dump', 'mariadb-admin', 'mariadb-import', 'mariadb-check', 'mariadb-show', 'mariadb-binlog', 'mariadb-slap'];
const MONGO = ['mongo', 'mongosh', 'mongodump', 'mongorestore', 'mongoexport', 'mongoimport', 'mongostat', 'mongotop', 'mongofiles'];
const LDAP = ['ldapsearch', 'ldapadd', 'ldapmodify', 'ldapdelete', 'ldapmodrdn', 'ldappasswd', 'ldapwhoami', 'ldapcompare', 'ldapexop'];
const SAMBA = ['smbclient', 'rpcclient', 'smbcacls', 'smbget', 'smbtree', 'net'];
const PROGRAMS = new Map<string, ReadonlyMap<string, Part>>([
  ...MYSQL.map((p) => [p, new Map([['-p', 'whole' as Part]])] as const),
  ...MONGO.map((p) => [p, new Map([['-p', 'whole' as Part]])] as const),
  ...LDAP.map((p) => [p, new Map([['-w', 'whole' as Part]])] as const),
  ...SAMBA.map((p) => [p, new Map([['-U', 'percent' as Part]])] as const),
  ['sshpass', new Map([['-p', 'whole']])],
  ['redis-cli', new Map([['-a', 'whole']])],
  ['keydb-cli', new Map([['-a', 'whole']])],
  ['valkey-cli', new Map([['-a', 'whole']])],
  ['ipmitool', new Map([['-P', 'whole']])],
  ['sqlcmd', new Map([['-P', 'whole']])],
  ['bcp', new Map([['-P', 'whole']])],
  ['zip', new Map([['-P', 'whole']])],
  ['unzip', new Map([['-P', 'whole']])],
  ['7z', new Map([['-p', 'whole']])],
  ['rdesktop', new Map([['-p', 'whole']])],
  ['curl', new Map([['-u', 'colon'], ['-U', 'colon']])],
  ['login', new Map([['-p', 'whole']])],
]);
/** `login` is a program here only as `docker login`, `podman login`, `helm registry login`, …. */
const LOGIN_OWNERS = new Set(['docker', 'podman', 'nerdctl', 'buildah', 'skopeo', 'registry', 'oras', 'crane']);
/** Programs that run another command after their own flags: their scope ends at the first plain word. */
const WRAPPERS = new Set(['sshpass']);
const PROGRAM_HINT = /mysql|mariadb|mongo|ldap|smb|rpcclient|net|sshpass|cli|ipmitool|sqlcmd|bcp|zip|7z|rdesktop|curl|login/;
const SEPARATORS = new Set(['|', '||', '&&', ';', '&']);

interface Tok {
  start: number;
  end: number;
}

/** Whitespace-separated tokens; a quoted stretch (`'a b'`) stays inside its token. */
const TOKEN = /(?:[^\s"']|"[^"]*"?|'[^']*'?)+/g;

function tokens(line: string): Tok[] {
  const out: Tok[] = [];
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(line); m; m = TOKEN.exec(line)) out.push({ start: m.index, end: m.index + m[0].length });
  return out;
}

/** The part of an argument that is the secret: all of it, after `user:`, or after `user%`. */
function secretPart(arg: string, part: Part): number {
  if (part === 'whole') return 0;
  const at = arg.indexOf(part === 'colon' ? ':' : '%');
  return at === -1 ? -1 : at + 1;
}

function programOf(word: string, prev: string | null): string | null {
  const w = unquote(word.replace(/^[(`$]+/, '')).replace(/^[A-Za-z_]+=/, '');
  const base = w.slice(w.lastIndexOf('/') + 1);
  if (!PROGRAMS.has(base)) return null;
  if (base === 'login' && (prev === null || !LOGIN_OWNERS.has(prev.slice(prev.lastIndexOf('/') + 1)))) return null;
  return base;
}

export function redactProgramFlags(line: string, emit: Emit): string {
  if (!line.includes('-') || !PROGRAM_HINT.test(line)) return line;
  const toks = tokens(line);
  const cuts: Array<[number, number]> = [];
  let program: string | null = null;
  let prevWord: string | null = null;
  for (let k = 0; k < toks.length; k += 1) {
    const t = toks[k] as Tok;
    const word = line.slice(t.start, t.end);
    const found = word.startsWith('-') ? null : programOf(word, prevWord);
    prevWord = word;
    if (found !== null) {
      program = found;
      continue;
    }
    if (SEPARATORS.has(word)) {
      program = null;
      continue;
    }
    const flags = program === null ? undefined : PROGRAMS.get(program);
    if (!flags || !word.startsWith('-') || word.startsWith('--')) {
      if (program !== null && WRAPPERS.has(program) && !word.startsWith('-')) program = null;
      if (word.endsWith(';')) program = null;
      continue;
    }
    const part = flags.get(word.slice(0, 2));
    if (part === undefined) continue;
    // `-pX` (attached) or `-p X` (the next argument, unless it is another flag)
    let vs = t.start + 2;
    let ve = t.end;
    if (vs === ve) {
      const next = toks[k + 1];
      if (!next || line[next.start] === '-' || SEPARATORS.has(line.slice(next.start, next.end))) continue;
      vs = next.start;
      ve = next.end;
      k += 1;
      prevWord = line.slice(vs, ve);
    }
    const arg = line.slice(vs, ve);
    const from = secretPart(arg, part);
    if (from === -1) continue;
    const secret = arg.slice(from);
    const bare = unquote(secret.replace(/;$/, ''));
    // a short value is still a password here (the program says so); a reference or a marker is not
    if (bare.length === 0 || bare === REDACTED || (bare.length >= 3 && isPlainValue(bare))) continue;
    cuts.push([vs + from, ve - (secret.endsWith(';') ? 1 : 0)]);
  }
  if (cuts.length === 0) return line;
  let out = '';
  let copied = 0;
  for (const [s, e] of cuts) {
    emit('cli_flag');
    out += line.slice(copied, s) + maskKeepingQuotes(line.slice(s, e));
    copied = e;
  }
  return out + line.slice(copied);
}

// ---- user:password and pass:X anywhere ---------------------------------------

const USER_PASS = /(?<![A-Za-z0-9_-])(--(?:proxy-)?user)(=|[ \t]+)(["']?)([^\s:"'@/]{1,256}):([^\s"']{1,1024})\3(?!\S)/g;
const PASS_ARG = /(?<![A-Za-z0-9_-])(-pass(?:in|out|word|phrase)?[ \t]+|-k(?:ey)?pass[ \t]+)(pass:)(\S{1,1024})/g;

export function redactUserPass(line: string, emit: Emit): string {
  let out = line;
  if (out.includes('user')) {
    out = out.replace(USER_PASS, (all: string, flag: string, sep: string, q: string, user: string, pw: string) => {
      if (isPlainValue(pw) || pw === user || /^\d+$/.test(pw)) return all;
      emit('cli_flag');
      return `${flag}${sep}${q}${user}:${REDACTED}${q}`;
    });
  }
  if (out.includes('pass:')) {
    out = out.replace(PASS_ARG, (all: string, flag: string, scheme: string, pw: string) => {
      if (isPlainValue(unquote(pw))) return all;
      emit('cli_flag');
      return `${flag}${scheme}${REDACTED}`;
    });
  }
  return out;
}
