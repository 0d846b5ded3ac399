/**
 * assertNoPlanted(value, planted): fails naming the first planted secret that
 * appears anywhere in `value` (serialised as JSON, and each string as is, so
 * JSON escaping cannot hide one), with a little context around it.
 */
import assert from 'node:assert/strict';

function strings(value: unknown, out: string[]): void {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === 'object') for (const v of Object.values(value)) strings(v, out);
}

export function assertNoPlanted(value: unknown, planted: readonly string[], what = 'result'): void {
  const texts: string[] = [];
  strings(value, texts);
  texts.push(JSON.stringify(value) ?? '');
  for (const secret of planted) {
    for (const text of texts) {
      const at = text.indexOf(secret);
      if (at !== -1) assert.fail(`${what} contains the planted secret ${JSON.stringify(secret)}: …${text.slice(Math.max(0, at - 80), at + secret.length + 20)}…`);
    }
  }
}
