/**
 * Secrets named by a key on the same line: `key=value`, `key: value` (YAML),
 * `"key": "value"` (JSON, escaped JSON too), INI `key = value`, `export KEY=…`,
 * `--key=value`, `--key:value`, `X-Api-Key:value` headers, query strings
 * (`?token=x&next=y`: `&` ends the value only before another `name=`, so a
 * password `a&b` stays whole), connection strings (`Server=db;Password=p w;`:
 * the value runs to the `;`), JSON/YAML flow arrays under a secret key
 * (`"passwords": ["a", "b"]`), XML elements (`<password>x</password>`),
 * name/value pairs (`<add key="DbPassword" value="x"/>`,
 * `{"name": "DB_PASSWORD", "value": "x"}`) and `directive value` config lines
 * with a strong key (`requirepass x`). Only the value is replaced.
 */
import { weakFlagValueIsSecret } from './redact-argv.js';
import { isPinKey, isPlainValue, isSecretKey, isStrongSecretKey, isWeakSecretFlag } from './redact-keys.js';
import { AUTH_SCHEME, type Emit, REDACTED, maskKeepingQuotes, unquote } from './redact-core.js';

const KEY_SEP = /(?<![A-Za-z0-9_.\\-])(\\?["']?)(-{0,2}[A-Za-z_][A-Za-z0-9_.-]{0,255})(\\?["']?)([ \t]*(?:=>|=|:)[ \t]*)/g;
/**
 * A double-quoted value (escapes allowed, the closing quote may be missing when the line was cut), a single-quoted
 * one, an escaped-quote one, or a bare token that ends before the next `&name=`, `;name=` or `,name=` pair.
 */
const VALUE = /"((?:[^"\\\n]|\\.){0,4096})("?)|'([^'\n]{0,4096})('?)|\\"([^"\\\n]{0,4096})\\"|((?:[^\s"'&;,]|[&;,](?![ \t]{0,8}[A-Za-z_][A-Za-z0-9_. [\]%-]{0,64}=)){1,4096})/y;
const LINE_START = /^[ \t]*(?:export[ \t]+|-[ \t]+)?$/;
const TRAILING_PUNCT = /[,;)\]}&]+$/;
/** A ` # comment` after an INI/YAML value (a `#` inside the value, without a space before it, stays in). */
const INLINE_COMMENT = /[ \t]+[#;].*$/;
/** Where the next `name=` pair starts inside a bare value: `&next=`, `;Database=`, `, user=`. */
const NEXT_PAIR = /[&;,][ \t]*[A-Za-z_][A-Za-z0-9_. [\]%-]{0,64}=/;
const CONN_NEXT = /^;[ \t]*[A-Za-z][A-Za-z0-9 _.-]{0,40}=/;

function plain(value: string): boolean {
  return isPlainValue(value) || AUTH_SCHEME.test(value);
}

/** Masks the strings (or bare items) of a `[…]` array starting at `open`; returns the end of the array, or -1 when nothing was masked. */
function maskArray(line: string, open: number, emit: Emit, out: { text: string }): number {
  let i = open + 1;
  let masked = '';
  let copied = open;
  let n = 0;
  // an array of objects or arrays: its members are matched by their own keys
  if (/^[ \t]*[[{]/.test(line.slice(i, i + 64))) return -1;
  while (i < line.length && line[i] !== ']') {
    const c = line[i] ?? '';
    if (c === ' ' || c === '\t' || c === ',') {
      i += 1;
      continue;
    }
    let s = i;
    let e: number;
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < line.length && line[j] !== c && line[j] !== '\n') j += line[j] === '\\' && c === '"' ? 2 : 1;
      s = i + 1;
      e = Math.min(j, line.length);
      i = e + 1;
    } else {
      let j = i;
      while (j < line.length && line[j] !== ',' && line[j] !== ']') j += 1;
      e = j;
      while (e > s && (line[e - 1] === ' ' || line[e - 1] === '\t')) e -= 1;
      i = j;
    }
    if (e > s && !plain(line.slice(s, e))) {
      masked += line.slice(copied, s) + REDACTED;
      copied = e;
      n += 1;
    }
  }
  if (n === 0) return -1;
  for (let k = 0; k < n; k += 1) emit('key_value');
  out.text = masked + line.slice(copied, i);
  return i;
}

export function redactKeyValues(line: string, emit: Emit): string {
  if (!line.includes('=') && !line.includes(':')) return line;
  let out = '';
  let copied = 0;
  KEY_SEP.lastIndex = 0;
  for (let m = KEY_SEP.exec(line); m; m = KEY_SEP.exec(line)) {
    const end = m.index + m[0].length;
    const key = m[2] ?? '';
    const weak = !isSecretKey(key) && key.startsWith('-') && isWeakSecretFlag(key);
    if (!weak && !isSecretKey(key)) continue;
    // `passwd:amd64`, `sshd:auth`: a bare colon binds a key only when quoted, followed by a space or a quote
    // (YAML, JSON), after a `--flag`, or in a `X-Api-Key:value` header
    const quotedKey = (m[1] ?? '') !== '' || (m[3] ?? '') !== '';
    if (m[4] === ':' && !quotedKey && !/["']/.test(line[end] ?? '') && !key.startsWith('-') && !key.includes('-')) continue;
    if (line[end] === '[' && !line.startsWith(REDACTED, end)) {
      const arr = { text: '' };
      const close = maskArray(line, end, emit, arr);
      if (close === -1) continue;
      out += line.slice(copied, end) + arr.text;
      copied = close;
      KEY_SEP.lastIndex = Math.max(close, KEY_SEP.lastIndex);
      continue;
    }
    VALUE.lastIndex = end;
    const v = VALUE.exec(line);
    if (!v || v[0].includes(REDACTED)) continue;
    let valueStart = end;
    let valueEnd = VALUE.lastIndex;
    let value: string;
    if (v[1] !== undefined || v[3] !== undefined) {
      value = v[1] ?? v[3] ?? '';
      valueStart += 1;
      valueEnd = valueStart + value.length;
    } else if (v[5] !== undefined) {
      value = v[5];
      valueStart += 2;
      valueEnd = valueStart + value.length;
    } else {
      const window = line.slice(end, end + 257);
      const semi = window.indexOf(';');
      const sep = m[4] ?? '';
      if (semi > 0 && !/["'=]/.test(window.slice(0, semi)) && (line[m.index - 1] === ';' || CONN_NEXT.test(window.slice(semi)))) {
        // a connection string: `User Id=app;Password=p w0rd;` (spaces belong to the value)
        value = window.slice(0, semi);
      } else if (LINE_START.test(line.slice(0, m.index)) && (sep.includes(':') || /[ \t]/.test(sep) || !key.startsWith('-'))) {
        // YAML/INI/env lines: the rest of the line, without an inline comment
        // `secret = # disable` is an empty value and a comment
        value = /[ \t]$/.test(sep) && /^[#;]/.test(line.slice(end)) ? '' : line.slice(end).replace(INLINE_COMMENT, '').replace(/[ \t]+$/, '');
      } else value = (v[6] ?? '').replace(TRAILING_PUNCT, '');
      const next = NEXT_PAIR.exec(value);
      if (next) value = value.slice(0, next.index).replace(TRAILING_PUNCT, '');
      valueEnd = end + value.length;
    }
    if (plain(value) || (weak && !weakFlagValueIsSecret(value)) || (/[ \t]/.test(value) && isPinKey(key))) continue;
    emit('key_value');
    out += line.slice(copied, valueStart) + REDACTED;
    copied = valueEnd;
    KEY_SEP.lastIndex = Math.max(valueEnd, KEY_SEP.lastIndex);
  }
  return copied === 0 ? line : out + line.slice(copied);
}

// ---- XML elements and name/value pairs -------------------------------------------

const XML_ELEMENT = /<([A-Za-z_][A-Za-z0-9_.:-]{0,127})(?:[ \t][^<>\n]{0,512})?>([^<\n]{1,4096})<\/\1>/g;
const NAME_VALUE = /((?:key|name)=(["'])([^"'\n]{1,256})\2[ \t]+value=)(["'])([^"'\n]{0,4096})\4/gi;
const JSON_NAME_VALUE = /("(?:name|key|Name|Key)"[ \t]*:[ \t]*"([^"\n]{1,256})"[ \t]*,[ \t]*"(?:value|Value)"[ \t]*:[ \t]*")((?:[^"\\\n]|\\.){0,4096})"/g;

export function redactMarkup(line: string, emit: Emit): string {
  let out = line;
  if (out.includes('</')) {
    out = out.replace(XML_ELEMENT, (all: string, tag: string, value: string) => {
      if (!isSecretKey(tag.slice(tag.lastIndexOf(':') + 1)) || plain(value.trim())) return all;
      emit('key_value');
      return all.slice(0, all.length - value.length - tag.length - 3) + REDACTED + `</${tag}>`;
    });
  }
  if (/value/i.test(out)) {
    out = out.replace(NAME_VALUE, (all: string, head: string, _q: string, name: string, q: string, value: string) => {
      if (!isSecretKey(name) || plain(value)) return all;
      emit('key_value');
      return `${head}${q}${REDACTED}${q}`;
    });
    out = out.replace(JSON_NAME_VALUE, (all: string, head: string, name: string, value: string) => {
      if (!isSecretKey(name) || plain(value)) return all;
      emit('key_value');
      return `${head}${REDACTED}"`;
    });
  }
  return out;
}

// ---- directive value --------------------------------------------------------------

const DIRECTIVE = /^([ \t]*)([A-Za-z][A-Za-z0-9_.-]{0,63})([ \t]+)("[^"\n]{1,4096}"|'[^'\n]{1,4096}'|[^\s"';]{1,4096})([ \t]*;?[ \t]*)$/;

export function redactDirective(line: string, emit: Emit): string {
  const m = DIRECTIVE.exec(line);
  if (!m || !isStrongSecretKey(m[2] ?? '') || isPlainValue(unquote(m[4] ?? ''))) return line;
  emit('directive');
  return `${m[1]}${m[2]}${m[3]}${maskKeepingQuotes(m[4] ?? '')}${m[5]}`;
}
