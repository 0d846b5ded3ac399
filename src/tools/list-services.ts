import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { HostlensError } from '../contracts/errors.js';
import { unitGlob, validUnitPattern } from '../collectors/systemd.js';
import { listServices, listServicesDataSchema, STATE_FILTERS } from '../diagnostics/systemd-units.js';
import { fmtBytes, lines, renderAssessments } from './common.js';
import { ifKnown, show } from '../util/missing.js';
import { cursorField, paginate } from './paging.js';

export const listServicesTool = defineTool({
  name: 'list_services',
  title: 'systemd services, failed first',
  description:
    'Which systemd services are failed, crash-looping or using resources: every service unit with load/active/sub state, result (exit-code, signal, oom-kill, …), since (last state change), restarts (NRestarts), memoryBytes, cpuSec, tasks, mainPid. Failed first, then activating/deactivating ("auto-restart" = crash loop), active, inactive. counts cover every service unit before the state and pattern filters. Assessments: failed units (warning ≥ 1, critical ≥ 3), the most-restarted unit (warning ≥ 3, critical ≥ 10). Without systemd as PID 1 the result says systemd.available false with the reason, not an error. Next: get_service on a failed unit.',
  toolset: 'core',
  input: z
    .object({
      state: z.enum(STATE_FILTERS).optional().describe('active includes activating, deactivating, reloading; default all'),
      pattern: z.string().max(256).optional().describe('glob on the unit name (* ? [...]), e.g. "ssh*"'),
      limit: z.number().int().min(1).max(200).optional().describe('default 50'),
      cursor: cursorField,
    })
    .strict(),
  data: listServicesDataSchema,
  async handler(args, { services, signal }) {
    const { cursor, limit, ...query } = args;
    if (args.pattern !== undefined && !validUnitPattern(args.pattern)) {
      throw new HostlensError('invalid_argument', `pattern "${args.pattern.slice(0, 64)}" is not a unit-name glob: use letters, digits, : _ . @ - \\ and the wildcards * ? [ ]`);
    }
    const r = await listServices(services, { state: args.state ?? 'all', pattern: args.pattern === undefined ? undefined : unitGlob(args.pattern) }, { signal });
    const p = paginate(r.data.units, { limit: limit ?? 50, cursor, query });
    return {
      data: { ...r.data, units: p.items },
      assessments: r.assessments,
      warnings: r.warnings,
      ...(p.truncated ? { truncated: p.truncated } : {}),
      page: { field: 'units', ...p.page },
    };
  },
  render({ data: d, assessments, truncated }) {
    if (!d.systemd.available) return lines(`systemd not available${ifKnown(d.systemd.reason, (r) => `: ${r}`)}`, renderAssessments(assessments));
    const c = d.counts;
    return lines(
      c && `${c.total} service units: ${c.failed} failed, ${c.activating} activating, ${c.active} active, ${c.inactive} inactive`,
      ...d.units.map(
        (u) => `${u.name} ${u.active}/${u.sub}${u.result && u.result !== 'success' ? ` result=${u.result}` : ''} restarts=${show(u.restarts)} mem=${fmtBytes(u.memoryBytes)} cpu=${show(u.cpuSec, 's')} pid=${u.mainPid ?? '-'}`,
      ),
      truncated ? `(${truncated.total - truncated.returned} more; nextCursor continues)` : '',
      renderAssessments(assessments),
    );
  },
});
