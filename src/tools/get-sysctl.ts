import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { readSysctl, SYSCTL_MAX_KEYS, SYSCTL_PREFIX_RE } from '../collectors/sysctl.js';
import { lines } from './common.js';
import { renderMore } from './list-page.js';
import { cursorField, decodeCursor, paginate } from './paging.js';

const dataSchema = z.object({
  prefix: z.string(),
  /** matching keys sorted by name, this page only: value is a number when the file holds one integer, else its text with whitespace collapsed */
  values: z.array(z.object({ key: z.string(), value: z.union([z.number(), z.string()]) })),
  /** matching keys that cannot be read (write-only such as vm.drop_caches, or permission denied) */
  unreadable: z.number().int().nonnegative(),
});

export const getSysctl = defineTool({
  name: 'get_sysctl',
  title: 'Kernel tunables (sysctl)',
  description:
    'Current values of kernel tunables whose dotted name starts with a prefix, read from /proc/sys (read-only): "vm." for memory management (swappiness, dirty_ratio, overcommit_memory), "net.core." (somaxconn, netdev_max_backlog), "net.ipv4.tcp_", "fs." (file-max, inotify), "kernel.pid_max". A prefix ending in "." selects a whole subtree; otherwise keys whose last part starts with it. Sorted {key, value}, numbers as numbers.',
  toolset: 'config',
  input: z
    .object({
      prefix: z
        .string()
        .min(1)
        .max(128)
        .regex(SYSCTL_PREFIX_RE, 'a dotted sysctl name or prefix such as "vm." or "net.core.somaxconn" (letters, digits, _ and -, separated by single dots)')
        .describe('dotted sysctl prefix, e.g. "vm.", "net.core.", "net.ipv4.tcp_", "kernel.pid_max"'),
      limit: z.number().int().min(1).max(SYSCTL_MAX_KEYS).optional().describe(`keys per page (default ${SYSCTL_MAX_KEYS})`),
      cursor: cursorField,
    })
    .strict(),
  examples: [{ args: { prefix: 'vm.' } }],
  data: dataSchema,
  async handler({ prefix, limit, cursor }, { services }) {
    const pageSize = limit ?? SYSCTL_MAX_KEYS;
    const query = { prefix, limit: pageSize };
    // The collector counts every match but keeps only the first n values: keep them up to the end of
    // this page, and page through a list of r.total entries whose tail (never shown here) is left empty.
    const r = readSysctl(services.collectors, prefix, decodeCursor(cursor, query) + pageSize);
    const all = [...r.values, ...Array.from({ length: Math.max(0, r.total - r.values.length) }, () => null)];
    const p = paginate(all, { limit: pageSize, cursor, query });
    const values = p.items.filter((v): v is { key: string; value: string | number } => v !== null);
    return {
      data: { prefix, values, unreadable: r.unreadable },
      page: { field: 'values', ...p.page },
      ...(p.truncated ? { truncated: p.truncated } : {}),
      warnings: r.warnings,
    };
  },
  render({ data: d, truncated, warnings }) {
    return lines(
      `sysctl ${d.prefix}: ${d.values.length} key(s)${truncated ? ` of ${truncated.total}` : ''}${d.unreadable ? `, ${d.unreadable} unreadable` : ''}`,
      ...d.values.map((v) => `${v.key} = ${v.value}`),
      renderMore(truncated),
      ...(warnings ?? []).map((w) => `warning: ${w}`),
    );
  },
});
