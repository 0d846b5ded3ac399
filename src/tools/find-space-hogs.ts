import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { findSpaceHogs, spaceDataSchema } from '../diagnostics/space.js';
import { fmtBytes, lines } from './common.js';
import { fmtProc } from '../util/missing.js';
import { cursorField, paginate } from './paging.js';

const DEFAULT_LIMIT = 20;
const DELETED_LIMIT = 20;

export const findSpaceHogsTool = defineTool({
  name: 'find_space_hogs',
  title: 'Find what uses disk space',
  description:
    'Where the space went under one directory, like a bounded `du -x -d DEPTH | sort -h`, plus deleted-but-open files. path must be inside a scan root (config scanRoots, default /var, /tmp, /home, /opt, /srv, /root; checked after realpath). The walk never follows symlinks or crosses filesystems, and stops at timeoutMs or a file-count cap (`scanned.complete` and each entry\'s `complete` say when sizes are lower bounds). Names inside deny-listed directories (.ssh, .gnupg, /etc/ssl/private) and deny-listed or protected files are never listed: their bytes go into one "<dir>/(withheld)" entry. entries: down to depth levels below path, largest first, sizeBytes = allocated bytes including everything below. deletedOpen: HOST-WIDE, files deleted but still held open (freed only when the process closes them or restarts: "df says full, du disagrees"), with pid, comm, fd, sizeBytes, largest first (≤ 20). Use after get_filesystems shows a filling filesystem.',
  toolset: 'core',
  input: z
    .object({
      path: z.string().min(1).max(4096).describe('absolute directory inside a scan root, e.g. /var'),
      depth: z.number().int().min(1).max(3).optional().describe('levels listed below path (default 2)'),
      limit: z.number().int().min(1).max(100).optional().describe(`entries per page (default ${DEFAULT_LIMIT})`),
      timeoutMs: z.number().int().min(100).max(10000).optional().describe('scan time budget, ms (default 2000)'),
      cursor: cursorField,
    })
    .strict(),
  examples: [{ args: { path: '/tmp' } }],
  data: spaceDataSchema,
  async handler({ path, depth, limit, timeoutMs, cursor }, { services, signal, progress }) {
    const d = depth ?? 2;
    const r = await findSpaceHogs(services, { path, depth: d, timeoutMs: timeoutMs ?? 2000, deletedLimit: DELETED_LIMIT, signal, progress });
    const page = paginate(r.data.entries, { limit: limit ?? DEFAULT_LIMIT, cursor, query: { path, depth: d } });
    return {
      data: { ...r.data, entries: page.items },
      page: { field: 'entries', ...page.page },
      ...(page.truncated ? { truncated: page.truncated } : {}),
      warnings: r.warnings,
    };
  },
  render({ data: d, truncated }) {
    const del = d.deletedOpenSummary;
    return lines(
      `${d.path}: ${fmtBytes(d.totalBytes)} in ${d.totalFiles} files (${d.scanned.files} entries, ${d.scanned.dirs} dirs, ${d.scanned.ms} ms${d.scanned.complete ? '' : ', INCOMPLETE: sizes are lower bounds'})`,
      d.entries.length > 0 && `largest (depth ≤ ${d.depth}${truncated ? `, ${d.entries.length} of ${truncated.total}` : ''}):`,
      ...d.entries.map((e) => `- ${fmtBytes(e.sizeBytes)}  ${e.path}${e.type === 'dir' ? '/' : ''}${e.type === 'dir' ? ` (${e.fileCount} files)` : ''}${e.complete ? '' : ' (partial)'}`),
      del.count > 0
        ? `deleted but still open (host-wide): ${del.count} files, ${fmtBytes(del.totalBytes)}`
        : `no deleted-but-open files found (${del.processesScanned} processes scanned${del.processesUnreadable ? `, ${del.processesUnreadable} unreadable` : ''})`,
      ...d.deletedOpen.map((f) => `- ${fmtBytes(f.sizeBytes)}  ${f.path} held by ${fmtProc(f.comm, f.pid)} fd ${f.fd}`),
    );
  },
});
