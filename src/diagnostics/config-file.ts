/**
 * get_config and diag://local/config/{+path}: one allow-listed config file (services.limits.configFiles, minus the
 * built-in deny-list and the server's protected files) with size, mtime and the content redacted line by line. An
 * exact digest or size beside redacted content lets a client brute-force the redacted value offline (an 8-digit
 * password fell to sha256 + sizeBytes), so sha256 is given only when nothing was redacted and the whole file was
 * read, and sizeBytes is rounded up to a KiB (sizeExact false) when anything was redacted. The text is redacted
 * as a whole (redactDetailed with keepLines), not line by line: a line alone loses its context, which over /etc
 * here made ≈ 4,400 false redactions (3,236 in ca-certificates.crt, ≈ 180 per trusted.gpg.d/*.asc: base64 lines of
 * certificates and public keys judged by entropy) and missed values on the lines after their key (YAML block
 * scalars, INI continuations). A file whose name says it is a secret (isSecretFileName) has its bare value lines
 * redacted too. Each redaction is reported as {line, kind, count} (kinds of redactDetailed), never with its value;
 * private PEM blocks are masked line for line, so line numbers stay those of the file. 1 MiB of text takes the
 * redactor ≈ 60 ms and more, so it runs in slices that yield to the event loop (redactDetailedSliced), and a line
 * longer than MAX_CONTENT_CHARS (which no answer can show past its start) is cut on a token boundary before
 * redaction so no single line holds the loop (≤ 64 KiB ≈ 4 ms). The content is clipped to fit the result budget;
 * `lines` says which lines were returned and `fromLine` continues.
 */
import { z } from 'zod';
import type { HostInputs } from './host-inputs.js';
import { readConfigFile } from '../collectors/config-file.js';
import { closeFile, openAllowedFile } from '../collectors/file-policy.js';
import type { AllowList, OpenOptions } from '../collectors/file-policy.js';
import { clipBeforeRedaction, clipString, epochSecToRfc3339 } from '../collectors/read.js';
import { redactDetailedSliced } from '../redaction/redact.js';
import { isSecretFileName } from '../redaction/redact-keys.js';

export const MAX_CONFIG_READ_BYTES = 1024 * 1024;
/** The digest covers only files read whole (anything larger has bytes nobody checked for secrets). */
const MAX_CONFIG_HASH_BYTES = MAX_CONFIG_READ_BYTES;
const SIZE_ROUND_BYTES = 1024;
const MAX_CONTENT_CHARS = 64 * 1024;
const MAX_REDACTIONS_LISTED = 100;

export const configDataSchema = z.object({
  /** the path as asked (normalised) */
  path: z.string(),
  /** the file read: always the path asked (symlinks are never followed) */
  resolvedPath: z.string(),
  /** exact when sizeExact; else rounded up to a multiple of 1024 */
  sizeBytes: z.number().int().nonnegative(),
  /** false when values were redacted: an exact size would tell the length of what was hidden */
  sizeExact: z.boolean(),
  /** RFC 3339 UTC */
  mtime: z.string(),
  /** hex sha256 of the raw bytes, only when nothing was redacted and the file (≤ 1 MiB) was read whole; else null, since a digest of hidden content can be brute-forced */
  sha256: z
    .string()
    .nullable(),
  /** redacted text of lines.from…lines.to; ends with …[+N chars] when more follows */
  content: z.string(),
  lines: z.object({
    from: z.number().int().positive(),
    to: z.number().int().nonnegative(),
    /** lines read (of the first 1 MiB when readTruncated) */
    total: z.number().int().nonnegative(),
  }),
  /** the file is over 1 MiB: only its first 1 MiB was read */
  readTruncated: z.boolean(),
  /** where values were redacted (never the values), first 100 */
  redactions: z.array(z.object({ line: z.number().int().positive(), kind: z.string(), count: z.number().int().positive() })),
  /** redactions in the lines read */
  redactionCount: z.number().int().nonnegative(),
});
type ConfigData = z.infer<typeof configDataSchema>;

export function configAllowList(services: HostInputs): AllowList {
  return { name: 'configFiles', globs: services.limits.configFiles };
}

interface RedactedLines {
  lines: string[];
  /** Redactions by 1-based line number, then by kind (redactDetailed's kinds); only lines that had any. */
  kinds: Map<number, Map<string, number>>;
}

/**
 * Redacts a file's text as a whole and splits it into its lines (line numbers stay valid), with the redactions of
 * each line by kind. Lines over MAX_CONTENT_CHARS are cut before redaction (on a token boundary) and marked with
 * …[+N chars]; `cut` says whether any was, since those bytes were never checked for secrets.
 */
async function redactLines(text: string, path: string, signal?: AbortSignal): Promise<RedactedLines & { cut: boolean }> {
  const raw = text.split('\n');
  const hidden = raw.map((l, i) => {
    if (l.length <= MAX_CONTENT_CHARS) return 0;
    const kept = clipBeforeRedaction(l, MAX_CONTENT_CHARS);
    raw[i] = kept;
    return l.length - kept.length;
  });
  const r = await redactDetailedSliced(raw.join('\n'), { keepLines: true, wholeValue: isSecretFileName(path) }, 5, signal);
  // Kinds only for the lines that have any: a Map per line cost ≈ 15–30 ms for a 1 MiB file of 24,000 lines.
  const lines = r.text.split('\n');
  hidden.forEach((h, i) => {
    if (h) lines[i] = `${lines[i]}…[+${h} chars]`;
  });
  const kinds = new Map<number, Map<string, number>>();
  for (const f of r.findings) {
    let k = kinds.get(f.line);
    if (!k) kinds.set(f.line, (k = new Map()));
    k.set(f.kind, (k.get(f.kind) ?? 0) + 1);
  }
  return { lines, kinds, cut: hidden.some((h) => h > 0) };
}

type ConfigRead = { data: ConfigData; warnings: string[] } | { error: string };

/** Reads, hashes and redacts one config file; `{ error }` names the rule or failure. */
/** The policy options of get_config: the config content rule and the server's protected files. */
export function configPolicy(services: HostInputs): OpenOptions {
  return { content: 'config', ...(services.protectedFiles ? { protect: services.protectedFiles } : {}) };
}

export async function readConfig(services: HostInputs, path: string, fromLine = 1, signal?: AbortSignal): Promise<ConfigRead> {
  const file = openAllowedFile(services.collectors, path, configAllowList(services), configPolicy(services));
  if ('error' in file) return file;
  let raw;
  try {
    raw = readConfigFile(file, MAX_CONFIG_READ_BYTES, MAX_CONFIG_HASH_BYTES);
  } finally {
    closeFile(file);
  }
  if (raw.error) return { error: `cannot read ${file.requested}: ${raw.error}` };
  if (raw.binary || raw.text === null) return { error: `binary file: ${file.requested} (get_config returns text files only)` };
  const warnings: string[] = [];
  if (raw.truncated) warnings.push(`file is ${file.sizeBytes} bytes: only the first ${MAX_CONFIG_READ_BYTES} were read and redacted`);
  const text = raw.text.endsWith('\n') ? raw.text.slice(0, -1) : raw.text;
  const { lines: redacted, kinds: kindsByLine, cut } = text === '' ? { lines: [], kinds: new Map<number, Map<string, number>>(), cut: false } : await redactLines(text, file.requested, signal);
  if (cut) warnings.push(`lines over ${MAX_CONTENT_CHARS} characters were cut before redaction (…[+N chars]); no sha256 or exact size`);
  const redactions: ConfigData['redactions'] = [];
  let redactionCount = 0;
  let entries = 0;
  for (const [line, kinds] of [...kindsByLine].sort((a, b) => a[0] - b[0])) {
    for (const [kind, count] of kinds) {
      redactionCount += count;
      entries++;
      if (redactions.length < MAX_REDACTIONS_LISTED) redactions.push({ line, kind, count });
    }
  }
  if (entries > redactions.length) warnings.push(`redactions lists the first ${MAX_REDACTIONS_LISTED} of ${entries}`);
  // Content budget: what is left of maxResultBytes after the rest of the envelope, in JSON-escaped bytes.
  const budget = Math.max(512, Math.min(MAX_CONTENT_CHARS, services.limits.maxResultBytes - 2048 - JSON.stringify(redactions).length));
  const from = Math.min(Math.max(1, fromLine), Math.max(1, redacted.length));
  const parts: string[] = [];
  let used = 0;
  let to = from - 1;
  for (let i = from - 1; i < redacted.length; i++) {
    const piece = redacted[i]! + (i < redacted.length - 1 ? '\n' : '');
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
  let restChars = 0;
  for (let i = to; i < redacted.length; i++) restChars += redacted[i]!.length + 1;
  if (to < redacted.length) {
    content = clipString(content, content.length, restChars);
    warnings.push(`content cut at line ${to} of ${redacted.length} to fit the result budget: pass fromLine ${to + 1} for the rest`);
  }
  // Cut bytes were never checked for secrets: no digest or exact size over them either.
  const exact = redactionCount === 0 && !cut;
  return {
    data: {
      path: file.requested,
      resolvedPath: file.hostPath,
      sizeBytes: exact ? file.sizeBytes : Math.ceil(file.sizeBytes / SIZE_ROUND_BYTES) * SIZE_ROUND_BYTES,
      sizeExact: exact,
      mtime: epochSecToRfc3339(file.mtimeMs / 1000),
      sha256: exact && !raw.truncated ? raw.sha256 : null,
      content,
      lines: { from, to, total: redacted.length },
      readTruncated: raw.truncated,
      redactions,
      redactionCount,
    },
    warnings,
  };
}
