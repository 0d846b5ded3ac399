/**
 * get_config and diag://local/config/{+path}: one allow-listed config file (services.limits.configFiles, minus the
 * built-in deny-list) with size, mtime, the sha256 of the raw bytes, and the content redacted line by line. Each
 * redaction is reported as {line, kind, count} (kinds of redactDetailed), never with its value. PEM private-key
 * blocks are masked line for line (every line between BEGIN and END), so line numbers stay those of the file. The content is clipped to fit the result budget; `lines` says which lines
 * were returned and `fromLine` continues.
 */
import { z } from 'zod';
import type { Services } from '../catalogue/services.js';
import { readConfigFile } from '../collectors/config-file.js';
import { checkFilePath } from '../collectors/file-policy.js';
import type { AllowList } from '../collectors/file-policy.js';
import { clipString, epochSecToRfc3339 } from '../collectors/read.js';
import { redactDetailed } from './redact.js';

export const MAX_CONFIG_READ_BYTES = 1024 * 1024;
export const MAX_CONFIG_HASH_BYTES = 64 * 1024 * 1024;
const MAX_CONTENT_CHARS = 64 * 1024;
const MAX_REDACTIONS_LISTED = 100;
const MARK = '[REDACTED]';

export const configDataSchema = z.object({
  path: z.string().describe('the path as asked (normalised)'),
  resolvedPath: z.string().describe('the file actually read, after realpath'),
  sizeBytes: z.number().int().nonnegative(),
  mtime: z.string().describe('RFC 3339 UTC'),
  sha256: z.string().nullable().describe('hex sha256 of the raw file bytes (before redaction); null for files over 64 MiB'),
  content: z.string().describe('redacted text of lines.from…lines.to; ends with …[+N chars] when more follows'),
  lines: z.object({
    from: z.number().int().positive(),
    to: z.number().int().nonnegative(),
    total: z.number().int().nonnegative().describe('lines read (of the first 1 MiB when readTruncated)'),
  }),
  readTruncated: z.boolean().describe('the file is over 1 MiB: only its first 1 MiB was read'),
  redactions: z.array(z.object({ line: z.number().int().positive(), kind: z.string(), count: z.number().int().positive() })).describe('where values were redacted (never the values), first 100'),
  redactionCount: z.number().int().nonnegative().describe('redactions in the lines read'),
});
export type ConfigData = z.infer<typeof configDataSchema>;

export function configAllowList(services: Services): AllowList {
  return { name: 'configFiles', globs: services.limits.configFiles };
}

const PEM_BEGIN = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
const PEM_END = /-----END [A-Z0-9 ]*PRIVATE KEY-----/;

export interface RedactedLine {
  text: string;
  /** Redactions on this line by kind (redactDetailed's kinds; 'pem' for a masked private-key block). */
  kinds: Map<string, number>;
}

/** Redacts text line by line (line numbers stay valid); private-key PEM blocks are masked line for line. */
export function redactLines(text: string): RedactedLine[] {
  const out: RedactedLine[] = [];
  let inPem = false;
  for (const line of text.split('\n')) {
    if (!inPem && PEM_BEGIN.test(line)) {
      inPem = !PEM_END.test(line.slice(line.search(PEM_BEGIN) + 10));
      out.push({ text: line.replace(/-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----.*$/, `-----BEGIN $1-----${inPem ? '' : MARK}`), kinds: new Map([['pem', 1]]) });
      continue;
    }
    if (inPem) {
      if (PEM_END.test(line)) inPem = false;
      out.push({ text: PEM_END.test(line) ? line.replace(/^.*?(-----END)/, '$1') : MARK, kinds: new Map() });
      continue;
    }
    const r = redactDetailed(line);
    const kinds = new Map<string, number>();
    for (const f of r.findings) kinds.set(f.kind, (kinds.get(f.kind) ?? 0) + 1);
    out.push({ text: r.text, kinds });
  }
  return out;
}

export type ConfigRead = { data: ConfigData; warnings: string[] } | { error: string };

/** Reads, hashes and redacts one config file; `{ error }` names the rule or failure. */
export function readConfig(services: Services, path: string, fromLine = 1): ConfigRead {
  const file = checkFilePath(services.collectors, path, configAllowList(services));
  if ('error' in file) return file;
  const raw = readConfigFile(file, MAX_CONFIG_READ_BYTES, MAX_CONFIG_HASH_BYTES);
  if (raw.error) return { error: `cannot read ${file.requested}: ${raw.error}` };
  if (raw.binary || raw.text === null) return { error: `binary file: ${file.requested} (get_config returns text files only)` };
  const warnings: string[] = [];
  if (raw.truncated) warnings.push(`file is ${file.sizeBytes} bytes: only the first ${MAX_CONFIG_READ_BYTES} were read and redacted`);
  if (raw.sha256 === null) warnings.push(`file is over ${MAX_CONFIG_HASH_BYTES} bytes: sha256 not computed`);
  const text = raw.text.endsWith('\n') ? raw.text.slice(0, -1) : raw.text;
  const redacted = text === '' ? [] : redactLines(text);
  const redactions: ConfigData['redactions'] = [];
  let redactionCount = 0;
  let entries = 0;
  redacted.forEach((l, i) => {
    for (const [kind, count] of l.kinds) {
      redactionCount += count;
      entries++;
      if (redactions.length < MAX_REDACTIONS_LISTED) redactions.push({ line: i + 1, kind, count });
    }
  });
  if (entries > redactions.length) warnings.push(`redactions lists the first ${MAX_REDACTIONS_LISTED} of ${entries}`);
  // Content budget: what is left of maxResultBytes after the rest of the envelope, in JSON-escaped bytes.
  const budget = Math.max(512, Math.min(MAX_CONTENT_CHARS, services.limits.maxResultBytes - 2048 - JSON.stringify(redactions).length));
  const from = Math.min(Math.max(1, fromLine), Math.max(1, redacted.length));
  const parts: string[] = [];
  let used = 0;
  let to = from - 1;
  for (let i = from - 1; i < redacted.length; i++) {
    const piece = redacted[i]!.text + (i < redacted.length - 1 ? '\n' : '');
    const cost = Buffer.byteLength(JSON.stringify(piece)) - 2;
    if (used + cost > budget) {
      if (parts.length === 0) {
        parts.push(clipString(piece, Math.floor(budget / 2)));
        to = i + 1;
      }
      break;
    }
    parts.push(piece);
    used += cost;
    to = i + 1;
  }
  let content = parts.join('');
  const restChars = redacted.slice(to).reduce((n, l) => n + l.text.length + 1, 0);
  if (to < redacted.length) {
    content = clipString(content, content.length, restChars);
    warnings.push(`content cut at line ${to} of ${redacted.length} to fit the result budget: pass fromLine ${to + 1} for the rest`);
  }
  return {
    data: {
      path: file.requested,
      resolvedPath: file.hostPath,
      sizeBytes: file.sizeBytes,
      mtime: epochSecToRfc3339(file.mtimeMs / 1000),
      sha256: raw.sha256,
      content,
      lines: { from, to, total: redacted.length },
      readTruncated: raw.truncated,
      redactions,
      redactionCount,
    },
    warnings,
  };
}
