/**
 * Assessments: the unit of health judgement in every tool result.
 * `{ area, status, code, message, value, threshold, unit, evidence? }`.
 */
import { z } from 'zod';

export const STATUSES = ['ok', 'warning', 'critical', 'unknown'] as const;
export type Status = (typeof STATUSES)[number];

export const assessmentSchema = z.object({
  area: z.string().describe('cpu, memory, filesystem, load, pressure, …'),
  status: z.enum(STATUSES),
  code: z.string().describe('stable identifier, e.g. memory.available_low'),
  message: z.string(),
  value: z.number().nullable(),
  threshold: z.number().nullable().describe('the threshold the value was compared with (the one crossed, or the warning level when ok)'),
  unit: z.string(),
  evidence: z.array(z.string()).optional(),
});
export type Assessment = z.infer<typeof assessmentSchema>;

const RANK: Record<Status, number> = { critical: 3, warning: 2, unknown: 1, ok: 0 };

export function worstStatus(statuses: Iterable<Status>): Status {
  let worst: Status = 'ok';
  for (const s of statuses) if (RANK[s] > RANK[worst]) worst = s;
  return worst;
}

export function statusRank(status: Status): number {
  return RANK[status];
}
