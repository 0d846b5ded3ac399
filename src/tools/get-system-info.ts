import { z } from 'zod';
import { defineTool } from '../definitions/types.js';
import { effectiveLimits, readCgroup } from '../collectors/cgroup.js';
import { readCpuInfo, readLogicalCpuCount } from '../collectors/cpu.js';
import { readMemInfo } from '../collectors/memory.js';
import { readSystemInfo } from '../collectors/system.js';
import type { Assessment } from '../contracts/assessment.js';
import { fmtBytes, lines, renderAssessments } from './common.js';
import { ifKnown, show } from '../util/missing.js';

const data = z.object({
  hostname: z.string().nullable(),
  os: z.object({ name: z.string().nullable(), version: z.string().nullable(), prettyName: z.string().nullable() }),
  kernel: z.string().nullable(),
  arch: z.string().nullable(),
  uptimeSec: z.number().nullable(),
  /** RFC 3339 UTC */
  bootedAt: z.string().nullable(),
  /** kvm, vmware, xen, hyperv, none or unknown */
  virtualization: z.string(),
  inContainer: z.boolean(),
  containerRuntime: z.string().nullable(),
  cgroupVersion: z.number().int().nullable(),
  /** effective: usable CPUs after cgroup quota and affinity */
  cpus: z.object({ model: z.string().nullable(), logical: z.number().nullable(), effective: z.number().nullable() }),
  memoryTotalBytes: z.number().nullable(),
  /** cgroup memory limit when tighter than MemTotal; null when none */
  effectiveMemoryLimitBytes: z.number().nullable(),
  timeSync: z.object({ synced: z.boolean().nullable(), source: z.string().nullable() }),
  rebootRequired: z.boolean().nullable(),
});

export const getSystemInfo = defineTool({
  name: 'get_system_info',
  title: 'System information',
  description:
    'Identity and shape of the host: hostname, OS, kernel, architecture, uptime and boot time, virtualization, container (and cgroup version), logical and effective CPUs, total memory and any cgroup memory limit, time sync, reboot-required. Cheap; call it first to know what you are looking at.',
  toolset: 'core',
  input: z.object({}).strict(),
  data,
  async handler(_args, { services }) {
    const ctx = services.collectors;
    const info = readSystemInfo(ctx);
    const cpu = readCpuInfo(ctx);
    const limits = effectiveLimits(ctx);
    const logical = readLogicalCpuCount(ctx);
    const mem = readMemInfo(ctx);
    const cg = readCgroup(ctx, 'self');
    const assessments: Assessment[] = [];
    if (info.rebootRequired) {
      assessments.push({ area: 'system', status: 'warning', code: 'system.reboot_required', message: 'a reboot is pending (reboot-required marker present)', value: 1, threshold: 1, unit: 'flag' });
    }
    return {
      data: {
        hostname: info.hostname,
        os: { name: info.os.name, version: info.os.version, prettyName: info.os.prettyName },
        kernel: info.kernel,
        arch: info.arch,
        uptimeSec: info.uptimeSec,
        bootedAt: info.bootedAt,
        virtualization: info.virtualization,
        inContainer: info.inContainer,
        containerRuntime: info.containerRuntime,
        cgroupVersion: cg.version,
        cpus: { model: cpu.model, logical, effective: limits.cpuCores !== null && logical !== null ? Math.min(limits.cpuCores, logical) : (limits.cpuCores ?? logical) },
        memoryTotalBytes: mem.totalBytes,
        effectiveMemoryLimitBytes: limits.memoryBytes,
        timeSync: info.timeSync,
        rebootRequired: info.rebootRequired,
      },
      assessments,
      warnings: [...info.warnings, ...cpu.warnings],
    };
  },
  render({ data: d, assessments }) {
    const up = ifKnown(d.uptimeSec, (s) => `, up ${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`);
    return lines(
      `${show(d.hostname)}: ${d.os.prettyName ?? d.os.name ?? 'unknown OS'}, kernel ${show(d.kernel)}${ifKnown(d.arch, (a) => ` (${a})`)}${up}${ifKnown(d.bootedAt, (b) => ` since ${b}`)}`,
      `virtualization ${d.virtualization}; ${d.inContainer ? `in a container (${d.containerRuntime ?? 'unknown runtime'})` : 'not in a container'}; cgroup ${show(d.cgroupVersion, (v) => `v${v}`)}`,
      `CPUs: ${show(d.cpus.logical)} logical, ${show(d.cpus.effective)} usable (${d.cpus.model ?? 'unknown model'}); memory ${fmtBytes(d.memoryTotalBytes)}${d.effectiveMemoryLimitBytes ? `, cgroup limit ${fmtBytes(d.effectiveMemoryLimitBytes)}` : ''}`,
      `time synced: ${d.timeSync.synced ?? 'unknown'}; reboot required: ${d.rebootRequired ?? 'unknown'}`,
      renderAssessments(assessments),
    );
  },
});
