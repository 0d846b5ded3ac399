/** Filesystem capacity and inodes with assessments; shared by get_filesystems and triage_host. */
import { z } from 'zod';
import type { HostInputs } from './host-inputs.js';
import { readFilesystems } from '../collectors/filesystems.js';
import { assess } from './assessment.js';
import type { Assessment } from '../contracts/assessment.js';

const mountSchema = z.object({
  mount: z.string(),
  device: z.string(),
  fsType: z.string(),
  sizeBytes: z.number().nullable(),
  usedBytes: z.number().nullable(),
  /** space available to unprivileged users */
  availBytes: z.number().nullable(),
  /** used / (used + avail), as df reports it */
  usedPct: z.number().nullable(),
  inodesTotal: z.number().nullable(),
  inodesUsed: z.number().nullable(),
  inodesUsedPct: z.number().nullable(),
  readOnly: z.boolean(),
  pseudo: z.boolean(),
});

export const filesystemsDataSchema = z.object({
  mounts: z.array(mountSchema),
  /** pseudo filesystems hidden (includePseudo=false) */
  hiddenPseudoCount: z.number().int(),
});
export type FilesystemsData = z.infer<typeof filesystemsDataSchema>;

interface FilesystemsOptions {
  includePseudo?: boolean;
  mount?: string;
}

interface FilesystemsResult {
  data: FilesystemsData;
  assessments: Assessment[];
  truncated?: { returned: number; total: number };
  warnings: string[];
}

export function readFilesystemHealth(services: HostInputs, options: FilesystemsOptions = {}): FilesystemsResult {
  const r = readFilesystems(services.collectors, {
    includePseudo: options.includePseudo ?? false,
    ...(options.mount !== undefined ? { mount: options.mount } : {}),
  });
  const mounts = r.filesystems.map((f) => ({
    mount: f.mount,
    device: f.device,
    fsType: f.fsType,
    sizeBytes: f.sizeBytes,
    usedBytes: f.usedBytes,
    availBytes: f.availBytes,
    usedPct: f.usedPct,
    inodesTotal: f.inodesTotal,
    inodesUsed: f.inodesUsed,
    inodesUsedPct: f.inodesUsedPct,
    readOnly: f.readOnly,
    pseudo: f.pseudo,
  }));
  const t = services.thresholds;
  const all: Assessment[] = [];
  const warnings = [...r.warnings];
  for (const m of mounts) {
    // Read-only and image filesystems are full by design; memory-backed ones are judged too.
    if (m.readOnly || m.sizeBytes === 0) continue;
    if (m.usedPct === null) {
      // Not measured (network filesystems are not statfs'd: a hung server would block the call).
      warnings.push(`${m.mount} (${m.fsType}): capacity not measured`);
      continue;
    }
    all.push(assess({ area: 'filesystem', code: 'filesystem.space', label: `Space used on ${m.mount}`, value: m.usedPct, spec: t['filesystem.usedPct'], evidence: [`${m.device} (${m.fsType})`] }));
    if (m.inodesTotal) {
      all.push(assess({ area: 'filesystem', code: 'filesystem.inodes', label: `Inodes used on ${m.mount}`, value: m.inodesUsedPct, spec: t['filesystem.inodesUsedPct'], evidence: [`${m.device} (${m.fsType})`] }));
    }
  }
  const bad = all.filter((a) => a.status !== 'ok');
  const assessments = [...bad];
  const judged = mounts.filter((m) => !m.readOnly && m.sizeBytes !== 0 && m.usedPct !== null);
  if (bad.length === 0) {
    const worst = Math.max(0, ...judged.map((m) => m.usedPct ?? 0));
    assessments.push({
      area: 'filesystem',
      status: judged.length === 0 ? 'unknown' : 'ok',
      code: 'filesystem.space',
      message: judged.length === 0 ? 'no writable filesystem could be measured' : `all ${judged.length} writable filesystems are within limits (fullest ${worst}% used)`,
      value: judged.length === 0 ? null : worst,
      threshold: t['filesystem.usedPct'].warning,
      unit: '%',
    });
  }
  return {
    data: { mounts, hiddenPseudoCount: r.hiddenPseudoCount },
    assessments,
    ...(r.truncated ? { truncated: r.truncated } : {}),
    warnings,
  };
}
