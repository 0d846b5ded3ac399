/**
 * How many values the redactor hides in this host's real files (default /etc): a precision check on text that
 * holds almost no secrets, where every redaction is worth a look. Never part of the tests.
 *
 *   node --import tsx bench/redact-etc.ts [dir …] [--top 20]
 *
 * Two ways of redacting each text file (≤ 1 MiB, no NUL in its first 8 KiB):
 *  - whole: the file as one text, line count kept (redactDetailed(text, { keepLines, wholeValue })), so PEM/PGP
 *    blocks, YAML block scalars and next-line values have their context; wholeValue for secret-named files;
 *  - lines: every line on its own, as a caller that splits first sees it (no context: a certificate's base64
 *    lines are judged by the entropy rule alone).
 * Prints the totals, the counts by kind, and the files with the most redactions (never a value).
 */
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { redactDetailed } from '../src/redaction/redact.js';
import { isSecretFileName } from '../src/redaction/redact-keys.js';

const args = process.argv.slice(2);
const topAt = args.indexOf('--top');
const TOP = topAt >= 0 ? Number(args[topAt + 1]) : 20;
const roots = args.filter((a, i) => !a.startsWith('--') && (topAt < 0 || i !== topAt + 1));
if (roots.length === 0) roots.push('/etc');

let files = 0;
let whole = 0;
let lines = 0;
const kinds = new Map<string, number>();
const perFile: Array<{ path: string; whole: number; lines: number }> = [];

function scan(path: string): void {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return;
  }
  if (st.isDirectory()) {
    let entries: string[] = [];
    try {
      entries = readdirSync(path);
    } catch {
      return;
    }
    for (const e of entries) scan(join(path, e));
    return;
  }
  if (!st.isFile() || st.size > 1024 * 1024) return;
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    return;
  }
  if (buf.subarray(0, 8192).includes(0)) return;
  const text = buf.toString('utf8');
  files += 1;
  const w = redactDetailed(text, { keepLines: true, wholeValue: isSecretFileName(path) });
  let l = 0;
  for (const line of text.split('\n')) l += redactDetailed(line).count;
  whole += w.count;
  lines += l;
  for (const f of w.findings) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
  if (w.count > 0 || l > 0) perFile.push({ path, whole: w.count, lines: l });
}

for (const r of roots) scan(r);
console.log(`${files} text files under ${roots.join(', ')}: ${whole} redactions as whole files, ${lines} line by line`);
console.log(`by kind (whole files): ${[...kinds].map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
for (const f of perFile.sort((a, b) => b.whole - a.whole || b.lines - a.lines).slice(0, TOP)) console.log(`${String(f.whole).padStart(6)} ${String(f.lines).padStart(6)}  ${f.path}`);
