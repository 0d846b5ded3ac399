import { z } from 'zod';
import { definePrompt } from '../definitions/types.js';
import { HostlensError } from '../contracts/errors.js';
import { validUnitName } from '../collectors/systemd.js';
import { completeUnitNames } from '../diagnostics/systemd-units.js';
import { playbookText, symptomArg } from './playbook.js';

export const investigateServicePrompt = definePrompt({
  name: 'investigate_service',
  title: 'Investigate a failing service',
  description:
    'Playbook for a failed or crash-looping systemd unit: its state, restarts and exit codes, its journal (facets and repeating patterns), what changed just before, its main process and its cgroup limits — ending in a cause backed by figures. Follows diag://runbooks/service-crashloop. Argument unit completes from the units list_services knows.',
  args: z.object({
    unit: z.string().min(1).max(256).describe('the systemd unit, e.g. "nginx.service" (a bare name means .service)'),
    symptom: symptomArg,
  }),
  completeFrom: { unit: 'list_services' },
  complete: {
    unit: (value, services) => completeUnitNames(services, value),
  },
  build({ unit, symptom }) {
    if (!validUnitName(unit)) throw new HostlensError('invalid_argument', `"${unit.slice(0, 64)}" is not a unit name: letters, digits and : _ . @ - \\ only, not starting with "-" or "."`);
    const u = unit.includes('.') ? unit : `${unit}.service`;
    const q = JSON.stringify(u);
    return [
      {
        role: 'user',
        text: playbookText({
          goal: `Find out why the systemd unit ${u} is failing or restarting on this host, using the hostlens tools.`,
          symptom,
          runbook: 'service-crashloop',
          steps: [
            `get_service with unit ${q} (if enabled, logs toolset; otherwise list_services with pattern ${q}): active/sub, result (exit-code, signal, oom-kill, timeout, start-limit-hit), since, restarts (warning ≥ 3, critical ≥ 10), execMainCode and execMainStatus (killed 9 = SIGKILL, often the OOM killer; 11 = SIGSEGV; exited 1/2 = application or config error), memoryBytes vs memoryMaxBytes, tasks vs tasksMax, dependenciesFailed, recentLogs. If systemd.available is false, say so and continue with the process and log steps.`,
            `If enabled: search_logs with units [${q}], since "-1h", mode "facets" (how many errors, from which identifiers), then mode "patterns" with priority "warning" to see which messages repeat, with firstAt/lastAt — when did it start?`,
            'recent_changes with since "-1d": a package upgrade, an edited config file under its fragmentPath/dropIns, or a restart just before the first failure is the prime suspect.',
            'get_process on mainPid (when running): cmdline, user, limits (include ["limits", "fds"]), fdUsedPct, startedAt — a very recent start confirms the loop.',
            `get_cgroup with target {"unit": ${q}}: memory usedPct and events.oomKill, cpu throttledPeriodsPct, pids current/max.`,
            'If enabled: get_kernel_events with kinds ["oom_kill", "segfault"] since "-1h": an OOM kill or segfault naming this unit\'s process.',
          ],
          conclude: `Conclude: why ${u} fails (crash, OOM, bad config, missing dependency, limit, watchdog), with the figures and times; what you ruled out; and the safe next action for an operator from the runbook (never restart or edit anything yourself).`,
        }),
      },
    ];
  },
});
