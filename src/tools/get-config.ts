import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { HostlensError } from '../contracts/errors.js';
import { configDataSchema, readConfig } from '../diagnostics/config-file.js';
import { fmtBytes, lines } from './common.js';

export const getConfig = defineTool({
  name: 'get_config',
  title: 'Read a config file (redacted)',
  description:
    'One config file from the allow-list (config configFiles, default /etc/**), secrets redacted: path, sizeBytes (rounded up to a KiB with sizeExact false when anything was redacted), mtime, sha256 of the raw bytes only when nothing was redacted and the file was read whole (a digest of hidden values could be brute-forced), content with every secret value replaced by [REDACTED], redactions[{line, kind, count}] (never the value). Symlinks are never followed (a symlink anywhere in the path is refused: ask for the real path); hard-linked and binary files are refused. A built-in deny-list that config cannot lift refuses shadow, gshadow and opasswd with any backup suffix, password-hash lines, private keys (by name, /etc/ssl/private, or a "PRIVATE KEY-----" in the first 4 KiB), any .ssh directory, credential files (.netrc, .pgpass, .git-credentials, .aws/credentials, *-secrets), /proc/*/environ, and the server\'s own token, config and audit files (by inode). Files over 1 MiB: the first 1 MiB. content is clipped to the result budget: lines{from, to, total} says what came back; pass fromLine to continue. Use it to check a setting, or whether a file changed after recent_changes names it.',
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
    if ('error' in r) throw new HostlensError('not_found', r.error);
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
