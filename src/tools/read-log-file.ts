import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { HostlensError } from '../contracts/errors.js';
import { logFileDataSchema, readLogFile } from '../diagnostics/log-file.js';
import { fmtBytes, lines } from './common.js';
import { show } from '../util/missing.js';

const DEFAULT_LINES = 100;

export const readLogFileTool = defineTool({
  name: 'read_log_file',
  title: 'Tail and grep a log file',
  description:
    'The last lines of a plain-text log file from the allow-list (config logFiles, default /var/log/*.log, /var/log/*/*.log, /var/log/syslog, /var/log/messages, /var/log/kern.log; rotations x.1, x.2.gz, x-YYYYMMDD of an allowed file too), for logs not in journald (use search_logs for those). Symlinks are never followed (a symlink anywhere in the path is refused: ask for the real path), hard-linked files are refused, and a built-in deny-list refuses /etc/shadow and its backups, private key files (by name and content), ~/.ssh and the server\'s own token, config and audit files; a private key logged inside a log is masked. since applies to lines with a recognisable timestamp (syslog, ISO/RFC 3339 at line start, nginx/apache; no zone = host local time); lines without one go with the line above. includeRotated reads rotations newest first until enough lines match (a .gz over 16 MiB decompressed is skipped, ≤ 32 MiB decompressed per call; a warning says what was skipped). Read backwards with an 8 MiB scan budget, so huge files are cheap; matchedCount counts the matching lines scanned (exact when matchedExact). lines: oldest first, {n, file, ts, text}, secrets redacted (redactionCount), long lines clipped.',
  toolset: 'logs',
  input: z
    .object({
      path: z.string().min(1).max(4096).describe('absolute path of the log, e.g. /var/log/syslog; must match a logFiles glob after realpath'),
      lines: z.number().int().min(1).max(1000).optional().describe(`newest matching lines to return (default ${DEFAULT_LINES})`),
      grep: z.string().min(1).max(200).optional().describe('case-insensitive literal substring (no regex)'),
      since: z.string().min(1).max(64).optional().describe('lines at or after: "-30m", "-2h" or RFC 3339'),
      includeRotated: z.boolean().optional().describe('also read rotations when the file has too few lines (default false)'),
    })
    .strict(),
  examples: [{ args: { path: '/var/log/dpkg.log', lines: 20 } }],
  data: logFileDataSchema,
  async handler({ path, lines: n, grep, since, includeRotated }, { services, signal }) {
    const r = await readLogFile(services, { path, lines: n ?? DEFAULT_LINES, grep, since, includeRotated: includeRotated ?? false }, Date.now(), signal);
    if ('error' in r) throw new HostlensError('not_found', r.error);
    return { data: r.data, ...(r.truncated ? { truncated: r.truncated } : {}), warnings: r.warnings };
  },
  render({ data: d }) {
    return lines(
      `${d.file.path}${d.file.resolvedPath !== d.file.path ? ` (→ ${d.file.resolvedPath})` : ''}: ${fmtBytes(d.file.sizeBytes)}, modified ${d.file.mtime}; ${d.lines.length} of ${d.matchedCount}${d.matchedExact ? '' : '+'} matching line(s); ${d.redactionCount} redaction(s)`,
      d.filesRead.length > 1 && `files: ${d.filesRead.map((f) => f.path).join(', ')}`,
      ...d.lines.map((l) => `${show(l.n)}: ${l.text}`),
    );
  },
});
