import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { readPressure } from '../collectors/pressure.js';
import { roundTo } from '../collectors/read.js';
import { buildPressureDetail, pressureDetailSchema, pressureWindow, readPressureDetail } from '../diagnostics/pressure-detail.js';
import type { PressureDetail } from '../diagnostics/pressure-detail.js';
import { lines, renderAssessments, windowSecField } from './common.js';
import { NA, show } from '../util/missing.js';
import { pageList, renderMore } from './list-page.js';
import { cursorField } from './paging.js';

const TOP_DEFAULT = 5;
const TOP_MAX = 20;

type Res = PressureDetail['system']['cpu'];
function fmtRes(name: string, r: Res): string {
  if (!r) return `${name}: ${NA}`;
  const part = (kind: string, l: NonNullable<Res>['some'] | null): string =>
    l ? `${kind} ${l.avg10Pct}/${l.avg60Pct}/${l.avg300Pct}%${l.stallPctInWindow !== null ? ` (window ${l.stallPctInWindow}%)` : ''}` : '';
  return `${name}: ${[part('some', r.some), part('full', r.full)].filter(Boolean).join(', ')}`;
}

export const getPressure = defineTool({
  name: 'get_pressure',
  title: 'Pressure stall information (PSI)',
  description:
    'Pressure stall information (PSI): the share of time tasks stalled waiting for CPU, memory or I/O, the most direct "is this host (or cgroup) starved?" signal. System-wide some/full stall % over 10, 60 and 300 s, plus stallPctInWindow over the window; "some" = at least one task stalled, "full" = all non-idle tasks stalled (lost throughput). Also the cgroups (v2) that stall most, by the worst of memory full / I/O full / CPU some (avg10 %); a parent includes its children. Use after triage_host reports pressure, or to find which service is starved.',
  toolset: 'core',
  input: z
    .object({
      windowSec: windowSecField,
      topCgroups: z.number().int().min(0).max(TOP_MAX).optional().describe(`stalled cgroups per page (default ${TOP_DEFAULT})`),
      cursor: cursorField,
    })
    .strict(),
  data: pressureDetailSchema,
  async handler({ windowSec, topCgroups, cursor }, { services, signal, progress }) {
    const top = topCgroups ?? TOP_DEFAULT;
    // Every ranked cgroup (the walk is bounded), then one page of them.
    const paged = (r: ReturnType<typeof buildPressureDetail>) => {
      if (top === 0) return { data: { ...r.data, cgroups: [] }, ...(r.data.cgroups.length > 0 ? { truncated: { returned: 0, total: r.data.cgroups.length } } : {}) };
      const p = pageList(r.data.cgroups, 'cgroups', { limit: top, cursor, query: {} });
      return { data: { ...r.data, cgroups: p.items }, page: p.page, ...(p.truncated ? { truncated: p.truncated } : {}) };
    };
    if (windowSec === undefined) {
      const r = readPressureDetail(services, Number.MAX_SAFE_INTEGER);
      return { ...paged(r), ...(r.windowSec !== undefined ? { windowSec: r.windowSec } : {}), assessments: r.assessments, warnings: r.warnings };
    }
    const t0 = performance.now();
    const first = readPressure(services.collectors);
    await progress(0, 'measuring');
    await sleep(windowSec * 1000, undefined, { signal });
    const second = readPressure(services.collectors);
    const sec = (performance.now() - t0) / 1000;
    await progress(1);
    const r = buildPressureDetail(services, second, pressureWindow(first, second, sec), Number.MAX_SAFE_INTEGER);
    return { ...paged(r), windowSec: roundTo(sec, 3), assessments: r.assessments, warnings: r.warnings };
  },
  render({ data: d, windowSec, assessments, truncated }) {
    return lines(
      d.available ? `PSI avg10/avg60/avg300${windowSec !== undefined ? `, window ${windowSec} s` : ''}` : 'PSI: not available on this kernel',
      d.available && fmtRes('cpu', d.system.cpu),
      d.available && fmtRes('memory', d.system.memory),
      d.available && fmtRes('io', d.system.io),
      d.cgroups.length > 0 ? `stalled cgroups (avg10 %; of ${truncated?.total ?? d.cgroups.length}, ${d.cgroupsExamined} examined):` : `no stalled cgroup among ${d.cgroupsExamined} examined`,
      ...d.cgroups.map((c) => `- ${c.path}: memory full ${show(c.memoryFullPct)}, io full ${show(c.ioFullPct)}, cpu some ${show(c.cpuSomePct)}`),
      renderMore(truncated),
      renderAssessments(assessments),
    );
  },
});
