import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { filesystemsDataSchema, readFilesystemHealth } from '../diagnostics/filesystems.js';
import { fmtBytes, lines, renderAssessments, fmtPct } from './common.js';
import { pageList, renderMore } from './list-page.js';
import { cursorField } from './paging.js';

const MAX_LIMIT = 500;
const DEFAULT_LIMIT = 100;

export const getFilesystems = defineTool({
  name: 'get_filesystems',
  title: 'Filesystem capacity and inodes',
  description:
    'Mounted filesystems: size, used and available bytes, used % (as df computes it), inodes used, type, device, read-only. Pseudo filesystems (proc, sysfs, cgroup, devtmpfs, …) are hidden unless includePseudo; bind mounts of one filesystem are listed once. Assessments flag filesystems near full in space or inodes, judged over every mount, not only this page.',
  toolset: 'core',
  input: z
    .object({
      includePseudo: z.boolean().optional().describe('include pseudo and image filesystems (default false)'),
      mount: z.string().min(1).max(4096).optional().describe('only this mount point, e.g. "/var"'),
      limit: z.number().int().min(1).max(MAX_LIMIT).optional().describe(`mounts per page (default ${DEFAULT_LIMIT})`),
      cursor: cursorField,
    })
    .strict(),
  data: filesystemsDataSchema,
  async handler({ includePseudo, mount, limit, cursor }, { services }) {
    const r = readFilesystemHealth(services, { ...(includePseudo !== undefined ? { includePseudo } : {}), ...(mount !== undefined ? { mount } : {}) });
    const p = pageList(r.data.mounts, 'mounts', { limit: limit ?? DEFAULT_LIMIT, cursor, query: { includePseudo: includePseudo ?? false, mount: mount ?? null } }, r.truncated);
    return {
      data: { ...r.data, mounts: p.items },
      assessments: r.assessments,
      page: p.page,
      ...(p.truncated ? { truncated: p.truncated } : {}),
      warnings: [...r.warnings, ...p.warnings],
    };
  },
  render({ data: d, assessments, truncated }) {
    const rows = [...d.mounts]
      .sort((a, b) => (b.usedPct ?? -1) - (a.usedPct ?? -1))
      .slice(0, 15)
      .map((m) => `${m.mount} (${m.fsType}${m.readOnly ? ', ro' : ''}): ${fmtPct(m.usedPct)} used, ${fmtBytes(m.availBytes)} free of ${fmtBytes(m.sizeBytes)}; inodes ${fmtPct(m.inodesUsedPct)}`);
    return lines(
      `${d.mounts.length} filesystem(s)${d.hiddenPseudoCount ? `, ${d.hiddenPseudoCount} pseudo hidden` : ''}${truncated ? ` (showing ${truncated.returned} of ${truncated.total})` : ''}:`,
      ...rows,
      d.mounts.length > rows.length ? `… ${d.mounts.length - rows.length} more in structuredContent` : '',
      renderMore(truncated),
      renderAssessments(assessments),
    );
  },
});
