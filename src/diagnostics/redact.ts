/**
 * Secret redaction for every string hostlens returns (command lines, log
 * lines, config content, unit environment). Default on; the server applies it
 * centrally to every tool and resource result (src/server/redact-result.ts).
 *
 * What is redacted (the value only; the key, scheme or prefix stays):
 *  - PEM blocks of keys: the body between BEGIN and END becomes one
 *    `[REDACTED]` line (certificates, public keys, parameters and signatures
 *    are public and stay whole);
 *  - `Authorization:` headers, `Bearer`/`Basic` credentials;
 *  - URL userinfo: `scheme://user:pass@host` → `scheme://user:[REDACTED]@host`;
 *  - well-known shapes: JWTs, AWS access key ids, GCP API keys, GitHub,
 *    GitLab, Slack (tokens and webhook paths), OpenAI, Stripe, npm, SendGrid;
 *  - values of secret-looking keys (see redact-keys.ts) in `key=value`,
 *    `key: value` (YAML), `"key": "value"` (JSON, escapes too), INI
 *    `key = value`, `export KEY=…`, `--key=value` and `--key value` forms,
 *    and `directive value` config lines with a strong key (`requirepass x`);
 *  - long high-entropy tokens: ≥ 32 chars of the base64/base64url alphabet,
 *    upper case, lower case and digits, one piece between separators (-_/+=)
 *    of ≥ 16 chars that switches character class at least every 4 chars
 *    (not a word, file name or CamelCase name), and ≥ 4.0 bits/char of
 *    Shannon entropy. Pure hex is never redacted by entropy alone (digests, boot,
 *    machine and container ids are everywhere in system output); hex secrets
 *    are caught by their key. Paths (`/`-separated short segments) are kept.
 *
 * Never redacted: single-dash flags (`-p 8080`), `--port 8080`, booleans and
 * references (`$DB_PASSWORD`), prose (`Passwords do not match`), PAM lines,
 * UUIDs, IPs, MACs, timestamps and version strings.
 *
 * Linear time: every pattern starts at a token boundary (lookbehind) and every
 * repetition is bounded, so no input backtracks catastrophically.
 */
import { isPlainValue, isSecretFlag, isSecretKey, isStrongSecretKey } from './redact-keys.js';

export const REDACTED = '[REDACTED]';

export type RedactionKind =
  | 'pem'
  | 'auth_header'
  | 'bearer'
  | 'url_userinfo'
  | 'jwt'
  | 'aws_access_key'
  | 'gcp_api_key'
  | 'github_token'
  | 'gitlab_token'
  | 'slack_token'
  | 'slack_webhook'
  | 'openai_key'
  | 'stripe_key'
  | 'npm_token'
  | 'sendgrid_key'
  | 'key_value'
  | 'cli_flag'
  | 'directive'
  | 'high_entropy';

/** One redaction: what kind of secret and on which line (1-based, of the returned text). Never the value. */
export interface RedactionFinding {
  kind: RedactionKind;
  line: number;
}

export interface DetailedRedaction {
  text: string;
  count: number;
  findings: RedactionFinding[];
}

type Emit = (kind: RedactionKind) => void;

// ---- PEM blocks (whole text: they span lines) ------------------------------

/** PEM blocks that are public (certificates, public keys, parameters, signatures): left whole, body included. */
const PUBLIC_PEM = /^(?:(?:TRUSTED |NEW )?CERTIFICATE(?: REQUEST)?|X509 CRL|(?:RSA |SSH2 |PGP )?PUBLIC KEY(?: BLOCK)?|PKCS7|CMS|(?:DH|EC|DSA) PARAMETERS|PGP SIGNATURE|PGP MESSAGE)$/;
const PUBLIC_PEM_LINE = /^-----(BEGIN|END) ([A-Z0-9 ]{1,60})-----\s*$/;

function redactPem(text: string, findings: RedactionFinding[]): string {
  if (!text.includes('-----BEGIN ')) return text;
  let out = '';
  let pos = 0;
  for (;;) {
    const b = text.indexOf('-----BEGIN ', pos);
    if (b === -1) break;
    const labelEnd = text.indexOf('-----', b + 11);
    const label = labelEnd === -1 ? '' : text.slice(b + 11, labelEnd);
    if (labelEnd === -1 || label.length > 60 || !/^[A-Z0-9 ]+$/.test(label) || PUBLIC_PEM.test(label)) {
      out += text.slice(pos, b + 11);
      pos = b + 11;
      continue;
    }
    const headerEnd = labelEnd + 5;
    const endMarker = `-----END ${label}-----`;
    const e = text.indexOf(endMarker, headerEnd);
    const bodyEnd = e === -1 ? text.length : e;
    const body = text.slice(headerEnd, bodyEnd);
    out += text.slice(pos, headerEnd);
    pos = headerEnd;
    if (!/[A-Za-z0-9+/]/.test(body.split(REDACTED).join('').replace(/\\[nr]/g, ''))) continue; // empty or already redacted
    const nl = body.startsWith('\\n') ? '\\n' : body.startsWith('\r\n') ? '\r\n' : '\n';
    const line = (out.match(/\n/g)?.length ?? 0) + 1;
    findings.push({ kind: 'pem', line });
    out += `${nl}${REDACTED}${e === -1 ? '' : nl}`;
    pos = bodyEnd;
  }
  return out + text.slice(pos);
}

// ---- rules over one line ----------------------------------------------------

interface Rule {
  kind: RedactionKind;
  /** The rule runs only on lines whose lower-cased text contains one of these. */
  hints: readonly string[];
  re: RegExp;
  /** The replacement for a match, or null to leave it unchanged. */
  replace: (m: RegExpExecArray) => string | null;
}

const B = '(?<![A-Za-z0-9_-])';
const E = '(?![A-Za-z0-9_-])';

/** Looks like a credential rather than a word: a digit, a base64 symbol, or an inner capital. */
function credentialLike(v: string): boolean {
  return /[0-9+/=_~.-]/.test(v) || (/[a-z]/.test(v) && /.[A-Z]/.test(v));
}

/** The whole match with group `g` (the last thing in it but for a fixed suffix) replaced by REDACTED. */
function maskGroup(m: RegExpExecArray, g: number): string {
  const value = m[g] ?? '';
  const at = m[0].lastIndexOf(value);
  return `${m[0].slice(0, at)}${REDACTED}${m[0].slice(at + value.length)}`;
}

const shape = (kind: RedactionKind, hints: readonly string[], body: string): Rule => ({ kind, hints, re: new RegExp(`${B}(${body})${E}`, 'g'), replace: () => REDACTED });

const RULES: readonly Rule[] = [
  {
    kind: 'auth_header',
    hints: ['authorization'],
    re: /(?<![A-Za-z0-9_-])((?:proxy-)?authorization["']?[ \t]*[:=][ \t]*["']?)((?:[A-Za-z][A-Za-z0-9_-]{0,19}[ \t]+)?)([^\s"',;]{1,4096})/gi,
    replace: (m) => (isPlainValue(m[3] ?? '') || /^(?:bearer|basic|digest|token|negotiate)$/i.test(m[3] ?? '') ? null : maskGroup(m, 3)),
  },
  {
    kind: 'bearer',
    hints: ['bearer', 'basic'],
    re: /(?<![A-Za-z0-9_-])(bearer|basic)([ \t]+)([A-Za-z0-9._~+/=-]{8,4096})(?![A-Za-z0-9._~+/=-])/gi,
    replace: (m) => (credentialLike(m[3] ?? '') ? maskGroup(m, 3) : null),
  },
  {
    kind: 'url_userinfo',
    hints: ['://'],
    re: /(?<![A-Za-z0-9+.-])([a-z][a-z0-9+.-]{0,31}:\/\/)([^\s/@:?#]{0,256}):([^\s/@]{1,1024})@/gi,
    replace: (m) => (isPlainValue(m[3] ?? '') ? null : maskGroup(m, 3)),
  },
  { kind: 'slack_webhook', hints: ['hooks.slack.com'], re: /(hooks\.slack\.com\/services\/T[A-Z0-9]{4,20}\/B[A-Z0-9]{4,20}\/)([A-Za-z0-9]{8,64})/g, replace: (m) => maskGroup(m, 2) },
  shape('jwt', ['eyj'], 'eyJ[A-Za-z0-9_-]{5,4096}\\.[A-Za-z0-9_-]{5,4096}\\.[A-Za-z0-9_-]{0,4096}'),
  shape('aws_access_key', ['akia', 'asia', 'agpa', 'aida', 'aroa', 'anpa', 'anva', 'aipa'], '(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}'),
  shape('gcp_api_key', ['aiza'], 'AIza[0-9A-Za-z_-]{35}'),
  shape('github_token', ['gh', 'github_pat_'], '(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})'),
  shape('gitlab_token', ['glpat-'], 'glpat-[A-Za-z0-9_-]{20,64}'),
  shape('slack_token', ['xox'], 'xox[abposr]-[A-Za-z0-9-]{10,255}'),
  shape('openai_key', ['sk-'], 'sk-(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,255}|[A-Za-z0-9]{20,255})'),
  shape('stripe_key', ['_live_', '_test_'], '(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,255}'),
  shape('npm_token', ['npm_'], 'npm_[A-Za-z0-9]{36}'),
  shape('sendgrid_key', ['sg.'], 'SG\\.[A-Za-z0-9_-]{16,32}\\.[A-Za-z0-9_-]{16,64}'),
];

// ---- secret keys: key=value, key: value, "key": "value", --key value ------

const KEY_SEP = /(?<![A-Za-z0-9_.\\-])(\\?["']?)(-{0,2}[A-Za-z_][A-Za-z0-9_.-]{0,63})(\\?["']?)([ \t]*(?:=>|=|:)[ \t]*)/g;
const VALUE = /"((?:[^"\\\n]|\\.){0,4096})"|'([^'\n]{0,4096})'|\\"([^"\\\n]{0,4096})\\"|([^\s"'&]{1,4096})/y;
const LINE_START = /^[ \t]*(?:export[ \t]+|-[ \t]+)?$/;
const TRAILING_PUNCT = /[,;)\]}]+$/;
/** A ` # comment` after an INI/YAML value (a `#` inside the value, without a space before it, stays in). */
const INLINE_COMMENT = /[ \t]+[#;].*$/;

function redactKeyValues(line: string, emit: Emit): string {
  if (!line.includes('=') && !line.includes(':')) return line;
  let out = '';
  let copied = 0;
  KEY_SEP.lastIndex = 0;
  for (let m = KEY_SEP.exec(line); m; m = KEY_SEP.exec(line)) {
    const end = m.index + m[0].length;
    if (!isSecretKey(m[2] ?? '')) continue;
    // `passwd:amd64`, `sshd:auth`: a bare colon binds a key only when quoted or followed by a space (YAML, JSON)
    const quotedKey = (m[1] ?? '') !== '' || (m[3] ?? '') !== '';
    if (m[4] === ':' && !quotedKey && !/["']/.test(line[end] ?? '')) continue;
    VALUE.lastIndex = end;
    const v = VALUE.exec(line);
    if (!v || v[0].includes(REDACTED)) continue;
    let valueStart = end;
    let valueEnd = VALUE.lastIndex;
    let value: string;
    if (v[1] !== undefined || v[2] !== undefined || v[3] !== undefined) {
      value = v[1] ?? v[2] ?? v[3] ?? '';
      const quote = v[3] !== undefined ? 2 : 1;
      valueStart += quote;
      valueEnd -= quote;
    } else {
      // unquoted: the rest of the line for YAML/INI/env lines, else one token without trailing punctuation
      const sep = m[4] ?? '';
      const restOfLine = LINE_START.test(line.slice(0, m.index)) && (sep.includes(':') || /[ \t]/.test(sep) || !m[2]?.startsWith('-'));
      value = restOfLine ? line.slice(end).replace(INLINE_COMMENT, '').replace(/[ \t]+$/, '') : (v[4] ?? '').replace(TRAILING_PUNCT, '');
      valueEnd = end + value.length;
    }
    if (isPlainValue(value) || /^(?:bearer|basic|digest|token|negotiate)$/i.test(value)) continue;
    emit('key_value');
    out += line.slice(copied, valueStart) + REDACTED;
    copied = valueEnd;
    KEY_SEP.lastIndex = Math.max(valueEnd, KEY_SEP.lastIndex);
  }
  return copied === 0 ? line : out + line.slice(copied);
}

const FLAG = /(?<![A-Za-z0-9_-])(--?[A-Za-z][A-Za-z0-9_.-]{0,63})([ \t]+)("[^"\n]{0,4096}"|'[^'\n]{0,4096}'|[^\s"'-][^\s]{0,4095})/g;
const DIRECTIVE = /^([ \t]*)([A-Za-z][A-Za-z0-9_.-]{0,63})([ \t]+)("[^"\n]{1,4096}"|'[^'\n]{1,4096}'|[^\s"';]{1,4096})([ \t]*;?[ \t]*)$/;

function unquote(v: string): string {
  return /^(["']).*\1$/.test(v) && v.length >= 2 ? v.slice(1, -1) : v;
}

function redactFlags(line: string, emit: Emit): string {
  if (!line.includes('-')) return line;
  return line.replace(FLAG, (all: string, flag: string, sp: string, value: string) => {
    if (!isSecretFlag(flag) || isPlainValue(unquote(value))) return all;
    emit('cli_flag');
    const q = value !== unquote(value) ? value[0] ?? '' : '';
    return `${flag}${sp}${q}${REDACTED}${q}`;
  });
}

function redactDirective(line: string, emit: Emit): string {
  const m = DIRECTIVE.exec(line);
  if (!m || !isStrongSecretKey(m[2] ?? '') || isPlainValue(unquote(m[4] ?? ''))) return line;
  emit('directive');
  const v = m[4] ?? '';
  const q = v !== unquote(v) ? v[0] ?? '' : '';
  return `${m[1]}${m[2]}${m[3]}${q}${REDACTED}${q}${m[5]}`;
}

// ---- long high-entropy tokens ----------------------------------------------

const TOKEN = /(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{32,}={0,2}(?![A-Za-z0-9+/=_-])/g;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

const charClass = (c: string): number => (c >= 'a' && c <= 'z' ? 0 : c >= 'A' && c <= 'Z' ? 1 : 2);

/** ≥ 16 chars with upper and lower case that switch class (lower/upper/digit) at least every 4 chars on average: not a word or CamelCase name. */
function looksRandom(p: string): boolean {
  if (p.length < 16 || !/[A-Z]/.test(p) || !/[a-z]/.test(p)) return false;
  let switches = 0;
  for (let i = 1; i < p.length; i += 1) if (charClass(p[i] ?? '') !== charClass(p[i - 1] ?? '')) switches += 1;
  return switches * 4 >= p.length;
}

/** A token that is a secret by its looks alone (see the module comment). */
export function isHighEntropyToken(t: string): boolean {
  // hex (digests, ids), UUIDs, and C++ mangled symbols (`_ZNSt…`, in segfault and backtrace lines) are not secrets
  if (t.length < 32 || /^[0-9a-fA-F-]+$/.test(t) || UUID.test(t) || t.startsWith('_Z') || !/[0-9]/.test(t)) return false;
  // one piece between separators must itself look random: identifiers and file names
  // (`D-TRUST_Root_CA_3_2020`, `2026-11-24T20_27_12_148Z-debug-0`) are made of short words
  if (!t.split(/[-_/+=]+/).some(looksRandom)) return false;
  if (t.includes('/')) {
    // a path: absolute with short or hex segments, or relative with lower-case/hex segments
    const segments = t.split('/');
    const absolute = t.startsWith('/') && segments.every((s) => s.length <= 24 || /^[0-9a-fA-F]+$/.test(s));
    if (absolute || segments.every((s) => /^[a-z0-9._-]*$/.test(s) || /^[0-9a-fA-F]+$/.test(s))) return false;
  }
  return entropy(t) >= 4.0;
}

/** A public key fingerprint (`SHA256:…` in sshd logs) is not a secret. */
const FINGERPRINT = /(?:sha256|sha512|sha384|sha1|md5):$/i;

function redactEntropy(line: string, emit: Emit): string {
  if (line.length < 32) return line;
  return line.replace(TOKEN, (t: string, at: number) => {
    if (!isHighEntropyToken(t) || FINGERPRINT.test(line.slice(Math.max(0, at - 7), at))) return t;
    emit('high_entropy');
    return REDACTED;
  });
}

// ---- API ----------------------------------------------------------------------

function redactLine(line: string, emit: Emit): string {
  let out = line;
  const lower = line.toLowerCase();
  for (const rule of RULES) {
    if (!rule.hints.some((h) => lower.includes(h))) continue;
    rule.re.lastIndex = 0;
    out = out.replace(rule.re, (...args: unknown[]) => {
      const index = args.findIndex((a) => typeof a === 'number');
      const groups = args.slice(0, index) as Array<string | undefined>;
      const m = Object.assign([...groups], { index: args[index] as number, input: out }) as unknown as RegExpExecArray;
      const replaced = rule.replace(m);
      if (replaced === null || replaced === groups[0]) return groups[0] ?? '';
      emit(rule.kind);
      return replaced;
    });
  }
  out = redactKeyValues(out, emit);
  out = redactFlags(out, emit);
  out = redactDirective(out, emit);
  return redactEntropy(out, emit);
}

/** Redacts `text`; findings give the kind and 1-based line (of the returned text) of each redaction, never the value. */
export function redactDetailed(text: string): DetailedRedaction {
  const findings: RedactionFinding[] = [];
  if (text.length < 8) return { text, count: 0, findings };
  const pem = redactPem(text, findings);
  const lines = pem.split('\n');
  let lineNo = 0;
  const emit: Emit = (kind) => findings.push({ kind, line: lineNo });
  let publicPem = false;
  for (let i = 0; i < lines.length; i += 1) {
    lineNo = i + 1;
    const line = lines[i] ?? '';
    const marker = line.startsWith('-----') ? PUBLIC_PEM_LINE.exec(line) : null;
    if (marker && PUBLIC_PEM.test(marker[2] ?? '')) publicPem = marker[1] === 'BEGIN';
    else if (!publicPem) lines[i] = redactLine(line, emit);
  }
  findings.sort((a, b) => a.line - b.line);
  return { text: lines.join('\n'), count: findings.length, findings };
}

/** Redacts `text`: the redacted text and how many redactions were made; never the values. */
export function redact(text: string): { text: string; count: number } {
  const r = redactDetailed(text);
  return { text: r.text, count: r.count };
}
