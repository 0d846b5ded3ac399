/**
 * Secret redaction for every string hostlens returns (command lines, log
 * lines, config content, unit environment). Default on; the server applies it
 * centrally to every tool and resource result (src/server/redact-result.ts).
 * Redact BEFORE clipping: a secret cut in two is two harmless-looking halves
 * (clipping helpers: clipString after redaction, clipBeforeRedaction in
 * src/collectors/read.ts when a text must be bounded first).
 *
 * What is redacted (the value only; the key, scheme or prefix stays), rule by
 * rule in this order on each line:
 *  - PEM blocks of keys: the body between BEGIN and END becomes one
 *    `[REDACTED]` line (certificates, public keys, PGP public key blocks,
 *    parameters and signatures are public and stay whole, base64 lines too);
 *  - `Authorization:` headers, `Bearer`/`Basic` credentials;
 *  - URL userinfo: `scheme://user:pass@host` → `scheme://user:[REDACTED]@host`,
 *    the password up to the last `@` before the host (`p@ss/w:rd` stays whole);
 *  - well-known shapes: JWTs, AWS access key ids, GCP API keys, GitHub,
 *    GitLab, Slack (tokens and webhook paths), OpenAI, Stripe, npm, SendGrid;
 *  - values named by a secret key (redact-kv.ts, redact-keys.ts): `key=value`,
 *    YAML, JSON (arrays too), INI, `.env`, XML, query and connection strings;
 *  - command lines (redact-argv.ts): `--password X`, `--pw=X`, `-pX` of mysql,
 *    `sshpass -p X`, `redis-cli -a X`, `curl -u user:X`, …;
 *  - values on the lines after their key (redact-blocks.ts): YAML block
 *    scalars and lists, INI continuation lines, `- name: X_PASSWORD` ⏎ `value: x`;
 *  - with `{ wholeValue: true }` (a file whose name says it is a secret:
 *    isSecretFileName), every bare value line, although nothing names it;
 *  - long high-entropy tokens (redact-entropy.ts).
 *
 * Never redacted: `-p 8080` of programs not known to take a password there,
 * `--port 8080`, booleans and references (`$DB_PASSWORD`), settings about a
 * secret (`password_min_length=8`), prose (`Passwords do not match`), PAM
 * lines, UUIDs, IPs, MACs, timestamps, version strings, certificates and
 * public keys (PEM, PGP armor, `ssh-ed25519 AAAA…`).
 *
 * Linear time: every pattern starts at a token boundary (lookbehind) and every
 * repetition is bounded, so no input backtracks catastrophically.
 */
import { redactFlags, redactProgramFlags, redactUserPass } from './redact-argv.js';
import { LineContext, redactPemSteps } from './redact-blocks.js';
import { AUTH_SCHEME, credentialLike, type Emit, REDACTED, type RedactionKind } from './redact-core.js';
import { redactEntropy } from './redact-entropy.js';
import { isPlainValue } from './redact-keys.js';
import { redactDirective, redactKeyValues, redactMarkup } from './redact-kv.js';
import { sliceClock } from '../util/slices.js';

export { REDACTED } from './redact-core.js';
export { isHighEntropyToken } from './redact-entropy.js';

/** One redaction: what kind of secret and on which line (1-based, of the returned text). Never the value. */
interface RedactionFinding {
  kind: RedactionKind;
  line: number;
}

interface DetailedRedaction {
  text: string;
  count: number;
  findings: RedactionFinding[];
}

interface RedactOptions {
  /** The text is a secret file's content (isSecretFileName): a line holding one bare value is redacted whole. */
  wholeValue?: boolean;
  /** Keep the line count: a private PEM body is masked line for line instead of becoming one line. */
  keepLines?: boolean;
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
    replace: (m) => (isPlainValue(m[3] ?? '') || AUTH_SCHEME.test(m[3] ?? '') ? null : maskGroup(m, 3)),
  },
  {
    kind: 'bearer',
    hints: ['bearer', 'basic'],
    re: /(?<![A-Za-z0-9_-])(bearer|basic)([ \t]+)([A-Za-z0-9._~+/=-]{8,4096})(?![A-Za-z0-9._~+/=-])/gi,
    replace: (m) => (credentialLike(m[3] ?? '') ? maskGroup(m, 3) : null),
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

// ---- URL userinfo ---------------------------------------------------------------

/** Where a URL ends inside a line: whitespace, a quote or an angle bracket. */
const URL_END = /[\s"'<>`]/;
const SCHEME_BEFORE = /[a-z][a-z0-9+.-]{0,31}$/i;
const PORT_NOT_PASSWORD = /^\d{1,5}(?:[/?#]|$)/;

/** `scheme://user:password@host`: the password runs to the LAST `@` before the host, so `/`, `@`, `:` in it stay inside. */
function redactUrlUserinfo(line: string, emit: Emit): string {
  let i = line.indexOf('://');
  if (i === -1) return line;
  let out = '';
  let copied = 0;
  while (i !== -1) {
    const next = line.indexOf('://', i + 3);
    const start = i + 3;
    let end = start;
    const limit = Math.min(next === -1 ? line.length : next, start + 1400);
    while (end < limit && !URL_END.test(line[end] ?? '')) end += 1;
    const seg = line.slice(start, end);
    let at = seg.lastIndexOf('@');
    if (at === seg.length - 1) at = seg.lastIndexOf('@', at - 1); // cut at the length bound: the host is past it
    const colon = seg.indexOf(':');
    if (SCHEME_BEFORE.test(line.slice(Math.max(0, i - 32), i)) && at > 0 && colon !== -1 && colon < at && /^[A-Za-z0-9[]/.test(seg[at + 1] ?? '')) {
      const user = seg.slice(0, colon);
      const pw = seg.slice(colon + 1, at);
      if (!/[/?#[]/.test(user) && pw.length > 0 && !PORT_NOT_PASSWORD.test(pw) && !isPlainValue(pw)) {
        emit('url_userinfo');
        out += line.slice(copied, start + colon + 1) + REDACTED;
        copied = start + at;
      }
    }
    i = next;
  }
  return copied === 0 ? line : out + line.slice(copied);
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
  out = redactUrlUserinfo(out, emit);
  out = redactMarkup(out, emit);
  out = redactKeyValues(out, emit);
  out = redactUserPass(out, emit);
  out = redactProgramFlags(out, emit);
  out = redactFlags(out, emit);
  out = redactDirective(out, emit);
  return redactEntropy(out, emit);
}

/** A line of a secret file that is one bare value (one token: not prose, not a comment, a PEM marker or a `key = value` line). */
const BARE_VALUE = /^[ \t]*([^\s#;=:][^\s]{0,4095})[ \t\r]*$/;
const KEYED = /^[ \t]*[A-Za-z_][A-Za-z0-9_.-]{0,255}[ \t]*(?:=|:[ \t]|:$)/;

function wholeValueLine(line: string, emit: Emit): string {
  const m = BARE_VALUE.exec(line);
  const v = m?.[1] ?? '';
  if (!m || line.startsWith('-----') || KEYED.test(line) || v.includes(REDACTED) || isPlainValue(v)) return line;
  emit('whole_value');
  return line.replace(v, REDACTED);
}

/** redactDetailed's line loop, resumable: `step(n)` redacts up to n more lines (true when every line is done). */
function startRedaction(text: string, options: RedactOptions): { step(n: number): boolean; result(): DetailedRedaction } {
  const findings: RedactionFinding[] = [];
  const pem = redactPemSteps(text, findings, options.keepLines === true);
  let lines: string[] | null = null;
  let lineNo = 0;
  const emit: Emit = (kind) => findings.push({ kind, line: lineNo });
  const context = new LineContext(emit);
  let i = 0;
  return {
    step(n) {
      if (lines === null) {
        // The PEM pass first (whole text: blocks span lines), a part of it per step unless n is unbounded.
        for (;;) {
          const r = pem.next();
          if (r.done) {
            lines = r.value.split('\n');
            break;
          }
          if (n !== Infinity) return false;
        }
      }
      for (const end = Math.min(lines.length, i + n); i < end; i += 1) {
        lineNo = i + 1;
        const line = lines[i] ?? '';
        const held = context.before(line);
        if (held !== null) {
          lines[i] = held;
          continue;
        }
        let out = redactLine(line, emit);
        if (options.wholeValue && out === line) out = wholeValueLine(line, emit);
        lines[i] = out;
        context.after(line);
      }
      return i >= lines.length;
    },
    result() {
      findings.sort((a, b) => a.line - b.line);
      return { text: (lines ?? []).join('\n'), count: findings.length, findings };
    },
  };
}

/** Redacts `text`; findings give the kind and 1-based line (of the returned text) of each redaction, never the value. */
export function redactDetailed(text: string, options: RedactOptions = {}): DetailedRedaction {
  if (text.length < 8 && !options.wholeValue) return { text, count: 0, findings: [] };
  const r = startRedaction(text, options);
  r.step(Infinity);
  return r.result();
}

/**
 * redactDetailed of a long text (a config file of up to 1 MiB: ≈ 60 µs/KB, 60 ms and more in one piece) in slices:
 * the same line loop with the same context, so the result is exactly redactDetailed's, but it yields to the event
 * loop whenever a slice has run sliceMs (checked every 16 lines; callers bound the line length). Rejects on abort.
 */
export async function redactDetailedSliced(text: string, options: RedactOptions = {}, sliceMs = 5, signal?: AbortSignal): Promise<DetailedRedaction> {
  if (text.length < 8 && !options.wholeValue) return { text, count: 0, findings: [] };
  const r = startRedaction(text, options);
  const clock = sliceClock({ sliceMs, signal, stepsPerCheck: 1 });
  while (!r.step(16)) await clock.tick();
  return r.result();
}

/** Redacts `text`: the redacted text and how many redactions were made; never the values. */
export function redact(text: string, options: RedactOptions = {}): { text: string; count: number } {
  const r = redactDetailed(text, options);
  return { text: r.text, count: r.count };
}
