import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { ToolError } from '../contracts/errors.js';
import { configDataSchema, readConfig } from '../diagnostics/config-file.js';
import { fmtBytes, lines } from './common.js';

export const getConfig = defineTool({
  name: 'get_config',
  title: 'Read a config file (redacted)',
  description:
    'One config file from the allow-list (config configFiles, default /etc/**), with secrets redacted: path, sizeBytes (rounded to a KiB, sizeExact false, when anything was redacted), mtime (RFC 3339), sha256 of the raw bytes only when nothing was redacted and the file was read whole (else null: a digest of hidden values could be brute-forced), content with every secret value replaced by [REDACTED], and redactions[{line, kind, count}] saying where (never the value). Symlinks are never followed: a symlink anywhere in the path is refused (ask for the real path); hard-linked files are refused. A built-in deny-list that config cannot lift refuses shadow, gshadow and opasswd with any backup suffix (shadow.bak, shadow~, gshadow-), password-hash lines in the first 4 KiB, private keys (by name with backup suffixes, /etc/ssl/private, or a "PRIVATE KEY-----" in the first 4 KiB), any .ssh directory, credential files (.netrc, .pgpass, .git-credentials, .aws/credentials, *-secrets such as /etc/ppp/chap-secrets), /proc/*/environ, and the server\'s own token, config and audit files (by inode, so no other name reaches them). Binary files are refused. Files over 1 MiB: the first 1 MiB is read. content is clipped to the result budget: lines{from, to, total} says what came back; pass fromLine to continue. Use it to check a setting, or whether a file changed (mtime, sha256 when given) after recent_changes names it.',
  toolset: 'config',
  input: z
    .object({
      path: z.string().min(1).max(4096).describe('absolute path of the file, e.g. /etc/nginx/nginx.conf; must match a configFiles glob after realpath'),
      fromLine: z.number().int().min(1).max(10_000_000).optional().describe('first line to return (1-based, default 1); use lines.to + 1 of a clipped result to continue'),
    })
    .strict(),
  examples: [{ args: { path: '/etc/hostname' } }],
  data: configDataSchema,
  async handler({ path, fromLine }, { services, signal }) {
    const r = await readConfig(services, path, fromLine ?? 1, signal);
    if ('error' in r) throw new ToolError(r.error);
    return { data: r.data, warnings: r.warnings };
  },
  render({ data: d }) {
    return lines(
      `${d.path}: ${d.sizeExact ? '' : '≈'}${fmtBytes(d.sizeBytes)}, modified ${d.mtime}${d.sha256 ? `, sha256 ${d.sha256}` : ''}`,
      `lines ${d.lines.from}–${d.lines.to} of ${d.lines.total}; ${d.redactionCount} redaction(s)${d.redactions.length ? ` on line(s) ${d.redactions.map((r) => r.line).join(', ')}` : ''}`,
      '---',
      d.content,
    );
  },
});
