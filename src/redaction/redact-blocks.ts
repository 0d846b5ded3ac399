/**
 * Secrets that span lines: PEM private-key blocks, and values that sit on the
 * lines after their key:
 *  - YAML block scalars: `password: |` / `>-` with the value on the following
 *    more-indented lines (blank lines inside included);
 *  - a key with nothing after it, its value on the next more-indented line(s):
 *    `password:` ⏎ `  hunter2`, INI `pin =` ⏎ `  1234` (a continuation line),
 *    a YAML list `passwords:` ⏎ `  - a` ⏎ `  - b`; a nested mapping
 *    (`password:` ⏎ `  min_length: 8`) is not a value and ends it;
 *  - a flow array left open: `"passwords": [` ⏎ `"a",` ⏎ `]`;
 *  - Kubernetes-style pairs: `- name: DB_PASSWORD` ⏎ `  value: x`.
 * Certificates, public keys (PEM and PGP armor) are public: their blocks are
 * left whole and their base64 lines are not judged by the entropy rule.
 */
import { isPlainValue, isSecretKey } from './redact-keys.js';
import { type Emit, REDACTED, type RedactionKind } from './redact-core.js';

// ---- PEM blocks (whole text: they span lines) ------------------------------

/** PEM blocks that are public (certificates, public keys, parameters, signatures): left whole, body included. */
const PUBLIC_PEM = /^(?:(?:TRUSTED |NEW )?CERTIFICATE(?: REQUEST)?|X509 CRL|(?:RSA |SSH2 |PGP )?PUBLIC KEY(?: BLOCK)?|PKCS7|CMS|(?:DH|EC|DSA) PARAMETERS|PGP SIGNATURE|PGP SIGNED MESSAGE|PGP MESSAGE)$/;
const PEM_LINE = /^-----(BEGIN|END) ([A-Z0-9 ]{1,60})-----\s*$/;

/**
 * Private PEM bodies masked. By default a body becomes one `[REDACTED]` line; with keepLines every body
 * line becomes `[REDACTED]` so line numbers stay valid (a file shown line by line). Pauses (yield) every 256
 * BEGIN markers, so a caller can spread a long text over several slices: a 1 MiB text of 26,000 tiny private
 * blocks takes ≈ 80 ms here.
 */
export function* redactPemSteps(text: string, findings: Array<{ kind: RedactionKind; line: number }>, keepLines: boolean): Generator<void, string> {
  if (!text.includes('-----BEGIN ')) return text;
  let markers = 0;
  let out = '';
  let pos = 0;
  // Newlines in `out`, kept up to date piece by piece: counting them in `out` at every block made a 1 MiB file of
  // 26,000 tiny blocks take 66 s.
  let outLines = 0;
  const append = (piece: string): void => {
    out += piece;
    for (let i = piece.indexOf('\n'); i !== -1; i = piece.indexOf('\n', i + 1)) outLines += 1;
  };
  for (;;) {
    if ((++markers & 255) === 0) yield;
    const b = text.indexOf('-----BEGIN ', pos);
    if (b === -1) break;
    // The label is at most 60 characters: looking further for its closing dashes made every BEGIN without them
    // scan to the end of the text (quadratic over a text of many such lines).
    const near = text.slice(b + 11, b + 11 + 66).indexOf('-----');
    const labelEnd = near === -1 ? -1 : b + 11 + near;
    const label = labelEnd === -1 ? '' : text.slice(b + 11, labelEnd);
    if (labelEnd === -1 || label.length > 60 || !/^[A-Z0-9 ]+$/.test(label) || PUBLIC_PEM.test(label)) {
      append(text.slice(pos, b + 11));
      pos = b + 11;
      continue;
    }
    const headerEnd = labelEnd + 5;
    const endMarker = `-----END ${label}-----`;
    const e = text.indexOf(endMarker, headerEnd);
    const bodyEnd = e === -1 ? text.length : e;
    const body = text.slice(headerEnd, bodyEnd);
    append(text.slice(pos, headerEnd));
    pos = headerEnd;
    if (!/[A-Za-z0-9+/]/.test(body.split(REDACTED).join('').replace(/\\[nr]/g, ''))) continue; // empty or already redacted
    const nl = body.startsWith('\\n') ? '\\n' : body.startsWith('\r\n') ? '\r\n' : '\n';
    const line = outLines + 1;
    if (keepLines && nl === '\n') {
      const inner = body.split('\n');
      const masked = inner.map((l, i) => (i === 0 || (i === inner.length - 1 && e !== -1) ? l.replace(/[^\r]+/, '') : REDACTED));
      masked.forEach((l, i) => l === REDACTED && findings.push({ kind: 'pem', line: line + i }));
      append(masked.join('\n'));
    } else {
      findings.push({ kind: 'pem', line });
      append(`${nl}${REDACTED}${e === -1 ? '' : nl}`);
    }
    pos = bodyEnd;
  }
  return out + text.slice(pos);
}

// ---- values on the lines after their key ------------------------------------------

type Mode = 'none' | 'scalar' | 'next' | 'array' | 'pair' | 'public';

const OPEN = /^([ \t]*)(-[ \t]+)?(["']?)([A-Za-z_][A-Za-z0-9_.-]{0,255})\3([ \t]*)(:|=)[ \t]*(?:([|>][0-9+-]{0,3})|(\[))?[ \t]*(?:[#;].*)?$/;
const NAME_LINE = /^([ \t]*)(-[ \t]+)?name:[ \t]*(["']?)([A-Za-z_][A-Za-z0-9_.-]{0,255})\3[ \t]*$/;
const VALUE_LINE = /^([ \t]*value:[ \t]*)(["']?)(.{1,4096}?)\2[ \t]*$/;
const MAPPING = /^[ \t]*(?:-[ \t]+)?(?:"[^"]{1,256}"|'[^']{1,256}'|[A-Za-z_][A-Za-z0-9_. -]{0,255})[ \t]*(?::(?:[ \t]|$)|=)/;
const LIST_ITEM = /^([ \t]*-[ \t]+)(.*?)([ \t]*)$/;
const QUOTED = /"((?:[^"\\\n]|\\.){1,4096})"|'([^'\n]{1,4096})'/g;

const indentOf = (line: string): number => line.length - line.trimStart().length;

/** The state carried from one line to the next while a text is redacted line by line. */
export class LineContext {
  private mode: Mode = 'none';
  private indent = 0;

  constructor(private readonly emit: Emit) {}

  /** The line masked when it belongs to a pending secret value (or to a public PEM block: returned as is); null when the line is the caller's. */
  before(line: string): string | null {
    const marker = line.startsWith('-----') ? PEM_LINE.exec(line) : null;
    if (marker && PUBLIC_PEM.test(marker[2] ?? '')) {
      this.mode = marker[1] === 'BEGIN' ? 'public' : 'none';
      return line;
    }
    if (this.mode === 'public') return line;
    if (this.mode === 'none') return null;
    if (line.trim() === '') return this.mode === 'pair' || this.mode === 'array' ? null : line;
    if (this.mode === 'array') return this.arrayLine(line);
    const deeper = indentOf(line) > this.indent;
    if (this.mode === 'pair') {
      // `- name: DB_PASSWORD` ⏎ `  value: x`: the value line belongs to the same item, before the next item starts
      if (indentOf(line) < this.indent || (indentOf(line) === this.indent && /^[ \t]*-[ \t]/.test(line))) {
        this.mode = 'none';
        return null;
      }
      const v = VALUE_LINE.exec(line);
      if (!v) return null;
      this.mode = 'none';
      const start = (v[1] ?? '').length + (v[2] ?? '').length;
      return isPlainValue(v[3] ?? '') ? line : this.mask(line, start, start + (v[3] ?? '').length);
    }
    if (!deeper || (this.mode === 'next' && MAPPING.test(line))) {
      this.mode = 'none';
      return null;
    }
    if (this.mode === 'next') {
      const item = LIST_ITEM.exec(line);
      if (item) return isPlainValue(item[2] ?? '') ? line : this.mask(line, (item[1] ?? '').length, line.length - (item[3] ?? '').length);
    }
    const start = indentOf(line);
    const end = line.trimEnd().length;
    return this.mode === 'next' && isPlainValue(line.slice(start, end)) ? line : this.mask(line, start, end);
  }

  /** Looks at a line the caller redacted, for a key whose value follows on the next lines. */
  after(line: string): void {
    if (this.mode !== 'none' || line.length > 512) return;
    const m = OPEN.exec(line);
    if (m) {
      if (!isSecretKey(m[4] ?? '')) return;
      this.indent = (m[1] ?? '').length + (m[2] ?? '').length;
      // `KEY=` with nothing after it is an empty shell assignment, not an INI key whose value continues (`pin =`)
      if (m[6] === '=' && !m[7] && !m[8] && m[5] === '') return;
      if (m[6] === ':' && m[7]) this.mode = 'scalar';
      else if (m[8]) this.mode = 'array';
      else if (!m[7]) this.mode = 'next';
      if (m[2] && this.mode !== 'array') this.indent -= 1;
      return;
    }
    const n = NAME_LINE.exec(line);
    if (n && isSecretKey(n[4] ?? '')) {
      this.mode = 'pair';
      this.indent = (n[1] ?? '').length;
    }
  }

  private arrayLine(line: string): string {
    const close = line.indexOf(']');
    if (close !== -1) this.mode = 'none';
    const head = close === -1 ? line : line.slice(0, close);
    let masked = head.replace(QUOTED, (all: string, dq?: string, sq?: string) => {
      const v = dq ?? sq ?? '';
      if (isPlainValue(v)) return all;
      this.emit('key_value');
      return `${all[0]}${REDACTED}${all[0]}`;
    });
    if (masked === head && !/["']/.test(head)) {
      const start = indentOf(head);
      const end = head.replace(/[ \t,]+$/, '').length;
      if (end > start && !isPlainValue(head.slice(start, end))) {
        this.emit('key_value');
        masked = head.slice(0, start) + REDACTED + head.slice(end);
      }
    }
    return close === -1 ? masked : masked + line.slice(close);
  }

  private mask(line: string, start: number, end: number): string {
    if (end <= start || line.slice(start, end) === REDACTED) return line;
    this.emit('key_value');
    return line.slice(0, start) + REDACTED + line.slice(end);
  }
}
