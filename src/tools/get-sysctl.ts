import { z } from 'zod';
import { defineTool } from '../catalogue/types.js';
import { readSysctl, SYSCTL_MAX_KEYS, SYSCTL_PREFIX_RE } from '../collectors/sysctl.js';
import { checkHost, hostField, lines } from './common.js';

const dataSchema = z.object({
  prefix: z.string(),
  values: z.record(z.string(), z.union([z.number(), z.string()])).describe('sysctl key (dotted) → value: a number when the file holds one integer, else its text with whitespace collapsed'),
  returned: z.number().int().nonnegative(),
  unreadable: z.number().int().nonnegative().describe('matching keys that cannot be read (write-only such as vm.drop_caches, or permission denied)'),
});

export const getSysctl = defineTool({
  name: 'get_sysctl',
  title: 'Kernel tunables (sysctl)',
  description:
    'Current values of kernel tunables whose dotted name starts with a prefix, read from /proc/sys (read-only): "vm." for memory management (swappiness, dirty_ratio, overcommit_memory), "net.core." (somaxconn, netdev_max_backlog), "net.ipv4.tcp_", "fs." (file-max, inotify), "kernel.pid_max". A prefix ending in "." selects a whole subtree; otherwise keys whose last part starts with it. At most `limit` keys (≤ 200, sorted); `truncated` says how many matched.',
  toolset: 'config',
  input: z
    .object({
      host: hostField,
      prefix: z
        .string()
        .min(1)
        .max(128)
        .regex(SYSCTL_PREFIX_RE, 'a dotted sysctl name or prefix such as "vm." or "net.core.somaxconn" (letters, digits, _ and -, separated by single dots)')
        .describe('dotted sysctl prefix, e.g. "vm.", "net.core.", "net.ipv4.tcp_", "kernel.pid_max"'),
      limit: z.number().int().min(1).max(SYSCTL_MAX_KEYS).optional().describe(`at most this many keys (1–${SYSCTL_MAX_KEYS}, default ${SYSCTL_MAX_KEYS})`),
    })
    .strict(),
  data: dataSchema,
  async handler({ host, prefix, limit }, { services }) {
    checkHost(host);
    const r = readSysctl(services.collectors, prefix, limit ?? SYSCTL_MAX_KEYS);
    const values: Record<string, string | number> = {};
    for (const v of r.values) values[v.key] = v.value;
    return {
      data: { prefix, values, returned: r.values.length, unreadable: r.unreadable },
      ...(r.total > r.values.length ? { truncated: { returned: r.values.length, total: r.total } } : {}),
      warnings: r.warnings,
    };
  },
  render({ data: d, truncated, warnings }) {
    return lines(
      `sysctl ${d.prefix}: ${d.returned} key(s)${truncated ? ` of ${truncated.total}` : ''}${d.unreadable ? `, ${d.unreadable} unreadable` : ''}`,
      ...Object.entries(d.values).map(([k, v]) => `${k} = ${v}`),
      ...(warnings ?? []).map((w) => `warning: ${w}`),
    );
  },
});
