/**
 * Minimal secret redaction for strings hostlens returns (command lines for
 * now): values of secret-looking keys in `key=value`, `--key value` and
 * `--key=value` forms, URL userinfo, and bearer/basic credentials. Returns the
 * redacted text and how many redactions were made; never the values.
 */
const SECRET_KEY = '(?:[A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credential|auth)[A-Za-z0-9_.-]*)';
const MARK = '[REDACTED]';

/** Values that are settings, not secrets: redacting them is over-redaction. */
const PLAIN_VALUE = /^(?:true|false|yes|no|on|off|none|null|0|1|\[REDACTED\])$/i;

const RULES: ReadonlyArray<{ re: RegExp; replace: (...m: string[]) => string }> = [
  // Authorization: Bearer xxx / Basic xxx (first, so the key rule below cannot eat the scheme word)
  { re: /\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, replace: (_m, kind = '') => `${kind} ${MARK}` },
  // --password=x, password=x, PASSWORD: x
  {
    re: new RegExp(`(^|[\\s"'])(-{0,2}${SECRET_KEY})(=|:[ \\t]*)("[^"]*"|'[^']*'|[^\\s"']+)`, 'gi'),
    replace: (m, pre = '', key = '', sep = '', value = '') => (PLAIN_VALUE.test(value) || /^(bearer|basic)$/i.test(value) ? m : `${pre}${key}${sep}${MARK}`),
  },
  // --password x (flag followed by a separate value)
  {
    re: new RegExp(`(^|\\s)(--?${SECRET_KEY})(\\s+)(?!-)([^\\s]+)`, 'gi'),
    replace: (m, pre = '', key = '', sp = '', value = '') => (PLAIN_VALUE.test(value) ? m : `${pre}${key}${sp}${MARK}`),
  },
  // scheme://user:pass@host
  { re: /([a-z][a-z0-9+.-]*:\/\/)([^\s/@:]+):([^\s/@]+)@/gi, replace: (_m, scheme = '', user = '') => `${scheme}${user}:${MARK}@` },
];

export function redact(text: string): { text: string; count: number } {
  let count = 0;
  let out = text;
  for (const rule of RULES) {
    out = out.replace(rule.re, (...args: unknown[]) => {
      const groups = args.slice(0, -2).map((g) => (typeof g === 'string' ? g : '')) as string[];
      const replaced = rule.replace(...groups);
      if (replaced !== groups[0]) count += 1;
      return replaced;
    });
  }
  return { text: out, count };
}
