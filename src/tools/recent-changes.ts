import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import type { ScopedPart } from '../contracts/reader.js';
import { CHANGE_KINDS, changesDataSchema, collectChanges, toChangeOut } from '../diagnostics/changes.js';
import type { ChangeKind, ChangeOut, ChangesData } from '../diagnostics/changes.js';
import { EVERY_SCOPE } from '../definitions/reader-scope.js';
import { epochSecToRfc3339 } from '../collectors/read.js';
import { lines } from './common.js';
import { cursorField, paginate } from './paging.js';

/** Kinds whose every entry is another tool's reading: a config file's change is what get_config would show. */
const KIND_SOURCES: Partial<Record<ChangeKind, string>> = { config: 'get_config' };

const change = (c: unknown): ChangeOut => c as ChangeOut;

/**
 * What a reader sees (definitions/reader-scope.ts): config entries and their
 * counts need get_config's scope; a listener's owner (pid/comm) is socket
 * ownership, list_sockets's; the apt command line in a package entry comes
 * from /var/log/apt/history.log, read_log_file's.
 */
const scopedParts: ScopedPart[] = [
  ...Object.entries(KIND_SOURCES).flatMap(([kind, from]): ScopedPart[] => [
    { path: 'changes[]', from, when: (c) => change(c).kind === kind },
    { path: `countsByKind.${kind}`, from, as: 'remove' },
    { path: `sources.${kind}`, from, as: 'remove' },
  ]),
  { path: 'changes[].detail', from: 'list_sockets', when: (_d, c) => change(c).kind === 'listener' && change(c).action === 'opened' },
  {
    path: 'changes[].detail',
    from: 'read_log_file',
    when: (d, c) => change(c).kind === 'package' && typeof d === 'string' && d.includes('; via "'),
    as: (d, scope) => `${String(d).slice(0, String(d).indexOf('; via "'))}; via [withheld: needs ${scope}]`,
  },
];

export const recentChanges = defineTool({
  name: 'recent_changes',
  title: 'What changed on this host',
  description:
    'What changed recently, newest first: package installs, upgrades, removals, purges (dpkg.log, apt history.log with rotations; versions and the redacted apt command line); allow-listed config files created, modified (content changed or not) or deleted as hostlens\'s watcher saw them (never a digest or size; a file whose mtime is in the range from before the watcher started: "content change not observed"); unit starts, stops, reloads, restarts and failures (systemd\'s journal); the current boot; TCP/UDP listeners opened or closed since the watcher began; kernel packages installed (reboot pending or not). sources says per kind whether it could be looked at (warnings say why not). dpkg/apt times are host local time. Use it early in an incident ("did anything change before it started?") and line it up with detect_anomalies / get_history.',
  toolset: 'core',
  input: z
    .object({
      since: z.string().min(1).max(64).optional().describe('"-15m", "-2h", "-7d" or RFC 3339; at most 30 days back (default "-1d")'),
      kinds: z.array(z.enum(CHANGE_KINDS)).max(CHANGE_KINDS.length).optional().describe('default all'),
      limit: z.number().int().min(1).max(200).optional().describe('default 50'),
      cursor: cursorField,
    })
    .strict(),
  data: changesDataSchema,
  scopedParts,
  async handler(args, { services, signal, reader = EVERY_SCOPE }) {
    const since = args.since ?? '-1d';
    // Kinds the reader may not see are not collected at all, so counts and pages hold only what it sees.
    const unseen = CHANGE_KINDS.filter((k) => KIND_SOURCES[k] !== undefined && !reader.may(KIND_SOURCES[k]));
    const kinds = unseen.length === 0 ? args.kinds : (args.kinds ?? CHANGE_KINDS).filter((k) => !unseen.includes(k));
    const r = await collectChanges(services, { since, kinds, signal });
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
