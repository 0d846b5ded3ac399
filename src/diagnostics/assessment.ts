/**
 * Assessments: the unit of health judgement in every tool result.
 * `{ area, status, code, message, value, threshold, unit, evidence? }`.
 */
import type { Assessment } from '../contracts/assessment.js';
import type { ThresholdSpec } from './thresholds.js';

interface AssessInput {
  area: string;
  code: string;
  /** What is measured, e.g. "CPU busy" — used to build the message. */
  label: string;
  value: number | null | undefined;
  spec: ThresholdSpec;
  evidence?: string[];
}

function fmt(value: number, unit: string): string {
  const v = Math.abs(value) >= 100 || Number.isInteger(value) ? value.toFixed(0) : value.toFixed(1);
  return unit === '%' ? `${v}%` : `${v} ${unit}`;
}

/** Compares a value with a threshold spec; null/undefined/NaN → unknown. */
export function assess(input: AssessInput): Assessment {
  const { area, code, label, spec } = input;
  const base = { area, code, unit: spec.unit, ...(input.evidence ? { evidence: input.evidence } : {}) };
  const value = input.value;
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return { ...base, status: 'unknown', message: `${label}: not measurable here`, value: null, threshold: spec.warning };
  }
  const crossed = (t: number): boolean => (spec.direction === 'above' ? value >= t : value <= t);
  const rounded = Math.round(value * 10) / 10;
  const word = spec.direction === 'above' ? 'at or above' : 'at or below';
  if (crossed(spec.critical)) {
    return { ...base, status: 'critical', message: `${label} ${fmt(value, spec.unit)} is ${word} the critical level ${fmt(spec.critical, spec.unit)}`, value: rounded, threshold: spec.critical };
  }
  if (crossed(spec.warning)) {
    return { ...base, status: 'warning', message: `${label} ${fmt(value, spec.unit)} is ${word} the warning level ${fmt(spec.warning, spec.unit)}`, value: rounded, threshold: spec.warning };
  }
  return { ...base, status: 'ok', message: `${label} ${fmt(value, spec.unit)} is within limits`, value: rounded, threshold: spec.warning };
}

export function unknownAssessment(area: string, code: string, message: string, unit = ''): Assessment {
  return { area, code, status: 'unknown', message, value: null, threshold: null, unit };
}
