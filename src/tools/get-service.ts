import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { HostlensError } from '../contracts/errors.js';
import { queryJournal } from '../collectors/journal.js';
import { clipString } from '../collectors/read.js';
import { validUnitName } from '../collectors/systemd.js';
import { redact } from '../redaction/redact.js';
import { getServiceDataSchema, readServiceDetail } from '../diagnostics/systemd-units.js';
import { fmtBytes, lines, renderAssessments } from './common.js';
import { ifKnown, show } from '../util/missing.js';

const unitField = z
  .string()
  .min(1)
  .max(256)
  .describe('e.g. "nginx.service"; a bare name means .service');

/** Longest journal message returned in recentLogs (characters; longer ones end with the …[+N chars] marker). */
const LOG_MESSAGE_CHARS = 400;

export const getServiceTool = defineTool({
  name: 'get_service',
  title: 'One systemd unit in detail, with its log tail',
  description:
    'Why a service is failing: one systemd unit\'s state (load/active/sub, result, since), restarts (NRestarts), the main process\'s last exit (execMainCode exited|killed|dumped; execMainStatus: exit status, or signal number when killed: 9 SIGKILL often means the OOM killer, 11 SIGSEGV), mainPid, memoryBytes vs memoryMaxBytes, tasks vs tasksMax, cpuSec, restartPolicy, controlGroup (pass it to get_cgroup), fragmentPath and dropIns (where its config lives), environmentNames (never values), dependenciesFailed (Requires/Requisite/BindsTo/Wants units failed or not loaded) and recentLogs (its newest journal lines, redacted). An unknown unit is a tool error; without systemd as PID 1 the result says systemd.available false with the reason, not an error.',
  toolset: 'logs',
  input: z
    .object({
      unit: unitField,
      logLines: z.number().int().min(0).max(200).optional().describe('journal lines to return (default 50)'),
    })
    .strict(),
  examples: [{ args: { unit: 'ssh.service' }, why: 'where systemd is not PID 1 the answer is available: false, not an error' }],
  data: getServiceDataSchema,
  async handler(args, { services, signal }) {
    if (!validUnitName(args.unit)) {
      throw new HostlensError('invalid_argument', `"${args.unit.slice(0, 64)}" is not a unit name: use letters, digits and : _ . @ - \\ only, not starting with "-" or "."`);
    }
    const name = args.unit.includes('.') ? args.unit : `${args.unit}.service`;
    const r = await readServiceDetail(services, name, { signal });
    const warnings = [...r.warnings];
    const recentLogs: Array<{ ts: string | null; priority: string | null; message: string }> = [];
    const logLines = args.logLines ?? 50;
    if (r.unit && logLines > 0) {
      // The newest logLines entries of the unit (journalctl -u, --lines bound), returned oldest first.
      const j = await queryJournal(services, { units: [r.unit.name], maxScan: logLines }, { signal });
      if (!j.available) warnings.push(`recentLogs is empty: ${j.reason ?? 'the journal is not readable'}`);
      warnings.push(...j.warnings.filter((w) => w !== j.reason));
      for (const e of j.entries.slice(0, logLines).reverse()) {
        recentLogs.push({ ts: e.ts, priority: e.priorityName, message: clipString(redact(e.message).text, LOG_MESSAGE_CHARS) });
      }
    }
    return { data: { systemd: r.systemd, unit: r.unit, recentLogs }, assessments: r.assessments, warnings };
  },
  render({ data: d, assessments }) {
    const u = d.unit;
    if (!d.systemd.available || !u) return lines(`systemd not available${ifKnown(d.systemd.reason, (r) => `: ${r}`)}`, renderAssessments(assessments));
    return lines(
      `${u.name} (${u.description}): ${u.load} ${u.active}/${u.sub}, result ${show(u.result)}, since ${show(u.since)}, restarts ${show(u.restarts)} (policy ${show(u.restartPolicy)})`,
      `main pid ${u.mainPid ?? '-'}; last exit ${u.execMainCode ?? '-'} status ${u.execMainStatus ?? '-'}; memory ${fmtBytes(u.memoryBytes)} of ${u.memoryMaxBytes === null ? '∞' : fmtBytes(u.memoryMaxBytes)}; tasks ${show(u.tasks)} of ${u.tasksMax ?? '∞'}; cpu ${show(u.cpuSec, ' s')}`,
      `unit file ${show(u.fragmentPath)}${u.dropIns.length ? ` + ${u.dropIns.join(', ')}` : ''}; cgroup ${show(u.controlGroup)}`,
      u.environmentNames.length > 0 && `environment: ${u.environmentNames.join(', ')} (values hidden)`,
      u.dependenciesFailed.length > 0 && `failed dependencies: ${u.dependenciesFailed.map((x) => `${x.name} (${x.relation}, ${x.load}/${x.active})`).join(', ')}`,
      ...d.recentLogs.map((l) => `${show(l.ts)} ${l.message}`),
      renderAssessments(assessments),
    );
  },
});
