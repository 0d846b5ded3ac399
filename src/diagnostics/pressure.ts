/** PSI (pressure stall information) assessments; used by triage_host. */
import { z } from 'zod';
import type { HostInputs } from './host-inputs.js';
import { readPressure } from '../collectors/pressure.js';
import { assess, unknownAssessment } from './assessment.js';
import type { Assessment } from '../contracts/assessment.js';

export const pressureSummarySchema = z.object({
  /** false when the kernel has no PSI (CONFIG_PSI off or psi=0) */
  available: z.boolean(),
  cpuSomeAvg10Pct: z.number().nullable(),
  memorySomeAvg10Pct: z.number().nullable(),
  memoryFullAvg10Pct: z.number().nullable(),
  ioSomeAvg10Pct: z.number().nullable(),
  ioFullAvg10Pct: z.number().nullable(),
});
export type PressureSummary = z.infer<typeof pressureSummarySchema>;

export function readPressureHealth(services: HostInputs): { data: PressureSummary; assessments: Assessment[]; warnings: string[] } {
  const p = readPressure(services.collectors);
  const data: PressureSummary = {
    available: p.available,
    cpuSomeAvg10Pct: p.cpu?.some.avg10Pct ?? null,
    memorySomeAvg10Pct: p.memory?.some.avg10Pct ?? null,
    memoryFullAvg10Pct: p.memory?.full?.avg10Pct ?? null,
    ioSomeAvg10Pct: p.io?.some.avg10Pct ?? null,
    ioFullAvg10Pct: p.io?.full?.avg10Pct ?? null,
  };
  if (!p.available) {
    return { data, assessments: [unknownAssessment('pressure', 'pressure.unavailable', 'PSI is not available on this kernel (proc/pressure missing)', '%')], warnings: p.warnings };
  }
  const t = services.thresholds;
  const assessments = [
    assess({ area: 'pressure', code: 'pressure.cpu', label: 'CPU pressure (some, avg10)', value: data.cpuSomeAvg10Pct, spec: t['pressure.cpuSomeAvg10Pct'] }),
    assess({ area: 'pressure', code: 'pressure.memory', label: 'Memory pressure (full, avg10)', value: data.memoryFullAvg10Pct, spec: t['pressure.memoryFullAvg10Pct'] }),
    assess({ area: 'pressure', code: 'pressure.io', label: 'I/O pressure (full, avg10)', value: data.ioFullAvg10Pct, spec: t['pressure.ioFullAvg10Pct'] }),
  ];
  return { data, assessments, warnings: p.warnings };
}
