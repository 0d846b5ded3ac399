import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { cgroupDataSchema, measureCgroup } from '../diagnostics/cgroup-detail.js';
import { fmtBytes, fmtPct, lines, renderAssessments } from './common.js';
import { ifKnown, show } from '../util/missing.js';

const DEFAULT_WINDOW_SEC = 1;

const target = z
  .union([
    z.object({ pid: z.number().int().min(1).max(4194304).describe('a process id: its cgroup') }).strict(),
    z.object({ unit: z.string().min(1).max(255).describe('systemd unit, e.g. nginx.service (a bare name means .service)') }).strict(),
    z.object({ path: z.string().min(1).max(1024).describe('cgroup path, e.g. /system.slice/nginx.service ("/" = the root)') }).strict(),
  ])
  .describe('exactly one of {pid}, {unit} or {path}');

export const getCgroup = defineTool({
  name: 'get_cgroup',
  title: 'Cgroup limits, usage, throttling and pressure',
  description:
    'Limits and usage of ONE cgroup (a process\'s, a systemd unit\'s or a path) on cgroup v2, v1 or hybrid hosts (version says which). memory: currentBytes vs maxBytes (null = unlimited) with usedPct, highBytes, peakBytes, swapCurrentBytes, cumulative events (oom, oomKill, high, max = limit hits). cpu: quotaCores (null = unlimited), usageCores and usagePct over windowSec (of the quota when there is one, else of all CPUs), throttledPeriodsPct and throttledSec over the window, cumulative nrThrottled. pids current/max, io read/write bytes since creation, PSI some/full avg10/60/300 %. Assessments: memory near its limit, CPU throttling, pids near max, OOM kills. Use when a service or container is slow (throttled? memory-starved?) or was OOM-killed.',
  toolset: 'containers',
  input: z
    .object({
      target,
      windowSec: z.number().min(0.2).max(10).optional().describe(`seconds between the two CPU readings (default ${DEFAULT_WINDOW_SEC})`),
    })
    .strict(),
  examples: [{ args: ({ serverPid }) => ({ target: { pid: serverPid } }), why: "the server's own cgroup exists wherever it runs" }],
  data: cgroupDataSchema,
  async handler({ target: t, windowSec }, { services, signal, progress }) {
    const r = await measureCgroup(services, t, { windowSec: windowSec ?? DEFAULT_WINDOW_SEC, signal, progress });
    return { data: r.data, windowSec: r.windowSec, assessments: r.assessments, warnings: r.warnings };
  },
  render({ data: d, windowSec, assessments }) {
    const m = d.memory;
    const c = d.cpu;
    const p = (name: string, r: (typeof d.pressure)['cpu']): string | false => r !== null && `${name} some ${r.some.avg10Pct}%${r.full ? ` full ${r.full.avg10Pct}%` : ''}`;
    return lines(
      `cgroup ${show(d.path)} (v${d.version}, ${d.mode})`,
      d.controllerPaths !== null &&
        Object.values(d.controllerPaths).some((p) => p !== d.path) &&
        `per controller: ${Object.entries(d.controllerPaths).map(([c, p]) => `${c} ${p}`).join(', ')}`,
      `memory: ${fmtBytes(m.currentBytes)} of ${m.maxBytes === null ? 'unlimited' : `${fmtBytes(m.maxBytes)} (${fmtPct(m.usedPct)})`}, peak ${fmtBytes(m.peakBytes)}, swap ${fmtBytes(m.swapCurrentBytes)}${m.events ? `; oom kills ${show(m.events.oomKill)}, limit hits ${show(m.events.max)}` : ''}`,
      `cpu${ifKnown(windowSec, (w) => ` over ${w} s`)}: ${show(c.usageCores, ' cores')}${ifKnown(c.usagePct, (p) => ` (${p}%${ifKnown(c.usagePctOf, (of) => ` of ${of}`)})`)}, quota ${c.quotaCores ?? 'unlimited'}; throttled ${fmtPct(c.throttledPeriodsPct)} of periods, ${show(c.throttledSec, ' s')} (total ${show(c.nrThrottled, ' periods')}, ${show(c.throttledTotalSec, ' s')})`,
      `pids: ${show(d.pids.current)} of ${d.pids.max ?? 'unlimited'}; io: read ${fmtBytes(d.io.readBytes)}, written ${fmtBytes(d.io.writeBytes)}`,
      [p('cpu', d.pressure.cpu), p('memory', d.pressure.memory), p('io', d.pressure.io)].filter(Boolean).join('; ').replace(/^(.)/, 'PSI avg10: $1'),
      renderAssessments(assessments),
    );
  },
});
