import { z } from 'zod';
import { defineTool } from '../catalogue/types.js';
import { CHANGE_KINDS, changesDataSchema, collectChanges, toChangeOut } from '../diagnostics/changes.js';
import type { ChangesData } from '../diagnostics/changes.js';
import { epochSecToRfc3339 } from '../collectors/read.js';
import { checkHost, hostField, lines } from './common.js';
import { cursorField, paginate } from './paging.js';

export const recentChanges = defineTool({
  name: 'recent_changes',
  title: 'What changed on this host',
  description:
    'What changed recently? One newest-first timeline of: package installs, upgrades, removals and purges (dpkg.log and apt history.log incl. rotations; detail has the versions and the apt command line, redacted); allow-listed config files created, modified or deleted (content change seen by hostlens\'s watcher with old → new sha256 prefixes; files whose mtime falls in the range before the watcher started are listed as "content change not observed"); unit starts, stops, reloads, scheduled restarts and failures (systemd\'s journal messages); the current boot; TCP/UDP listeners opened or closed since the watcher began; kernel packages installed (with whether a reboot is pending). since: relative ("-15m", "-2h", "-1d", "-7d") or RFC 3339, at most 30 days back (default "-1d"). Filter with kinds. sources says for each kind whether it could be looked at (the warnings say why not). dpkg/apt times are host local time. Paged: limit ≤ 200 (default 50), nextCursor continues. Use it early in an incident ("did anything change before it started?") and line it up with detect_anomalies / get_history.',
  toolset: 'core',
  input: z
    .object({
      host: hostField,
      since: z.string().min(1).max(64).optional().describe('start of the range: relative like "-15m", "-2h", "-1d", "-7d" or RFC 3339; at most 30 days back (default "-1d")'),
      kinds: z.array(z.enum(CHANGE_KINDS)).max(CHANGE_KINDS.length).optional().describe(`only these kinds (${CHANGE_KINDS.join(', ')}); default all`),
      limit: z.number().int().min(1).max(200).optional().describe('changes per page (1–200, default 50)'),
      cursor: cursorField,
    })
    .strict(),
  data: changesDataSchema,
  async handler(args, { services, signal }) {
    checkHost(args.host);
    const since = args.since ?? '-1d';
    const r = await collectChanges(services, { since, kinds: args.kinds, signal });
    const query = { since, kinds: args.kinds ? [...args.kinds].sort() : null };
    const p = paginate(r.changes, { limit: args.limit ?? 50, cursor: args.cursor, query });
    const data: ChangesData = {
      since: epochSecToRfc3339(r.sinceMs / 1000),
      changes: p.items.map(toChangeOut),
      matched: r.changes.length,
      countsByKind: r.countsByKind,
      sources: r.sources,
      watch: r.watch,
      redactions: r.redactions,
    };
    return { data, ...(p.truncated ? { truncated: p.truncated } : {}), page: { field: 'changes', ...p.page }, warnings: r.warnings };
  },
  render({ data: d, truncated }) {
    const counts = Object.entries(d.countsByKind)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    const off = Object.entries(d.sources)
      .filter(([, v]) => v !== 'ok')
      .map(([k]) => k);
    return lines(
      `${d.matched} change(s) since ${d.since} (${counts || 'none'})${off.length ? `; unavailable: ${off.join(', ')}` : ''}`,
      ...d.changes.map((c) => `${c.ts} ${c.kind} ${c.action} ${c.subject}: ${c.detail}`),
      truncated ? `(${truncated.total - truncated.returned} more; nextCursor continues)` : '',
      d.redactions ? `${d.redactions} secret(s) redacted` : '',
    );
  },
});
