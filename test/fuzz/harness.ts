/**
 * The parser fuzz harness: a writable copy of a recorded host tree, a sampler on an injected clock
 * that ticks once over the intact tree and once over the damaged one (so rates are computed across
 * the damage), and the checks every reader and tool result must pass: no NaN or Infinity, no
 * negative bytes/counts/rates, percentages within 0–100, and tool output that fits its own schema.
 */
import { toolContext } from '../support/tool-context.js';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Services } from '../../src/definitions/host-services.js';
import type { ToolDefinition, ToolOutput } from '../../src/definitions/types.js';
import { assessmentSchema } from '../../src/contracts/assessment.js';
import { createCollectorContext } from '../../src/collectors/context.js';
import { createSampler } from '../../src/collectors/sampler.js';
import { FIXTURE_HOSTS, servicesOf } from '../fixtures/fixture-services.js';

/**
 * Percent fields that may legitimately exceed 100: a process using several cores, and usage of a limit
 * lowered below what is already in use (fs.file-max, memory.max, pids.max can all be set under current use).
 */
const OVER_100_OK = new Set(['cpuPct', 'usedPct']);

/** Every place in `value` where a number is invented: non-finite, negative where it cannot be, or an impossible share. */
export function inventedNumbers(value: unknown, path = '$', out: string[] = [], depth = 0): string[] {
  if (out.length >= 5 || depth > 12) return out;
  if (typeof value === 'number') {
    const key = path.slice(path.lastIndexOf('.') + 1);
    if (!Number.isFinite(value)) out.push(`${path} = ${value}`);
    else if (/Pct$/.test(key) && !OVER_100_OK.has(key) && (value < 0 || value > 100)) out.push(`${path} = ${value} (a share outside 0–100)`);
    else if (/Pct$/.test(key) && value < 0) out.push(`${path} = ${value} (negative share)`);
    else if (/(Bytes|Count)$/.test(key) && (value < 0 || !Number.isInteger(value))) out.push(`${path} = ${value} (bytes/counts are non-negative integers)`);
    else if (/(PerSec|Sec|Ms)$/.test(key) && value < 0) out.push(`${path} = ${value} (negative rate/duration)`);
    return out;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) inventedNumbers(v, `${path}.${String(k)}`, out, depth + 1);
    return out;
  }
  if (Array.isArray(value)) {
    value.slice(0, 50).forEach((v, i) => inventedNumbers(v, `${path}[${i}]`, out, depth + 1));
    return out;
  }
  if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) inventedNumbers(v, `${path}.${k}`, out, depth + 1);
  return out;
}

export interface FuzzRoot {
  root: string;
  services: Services;
  /** Ticks the sampler over the tree as it is now, 10 s after the previous tick. */
  tick(): void;
  write(rel: string, content: Buffer): void;
  original(rel: string): Buffer;
  restore(rel: string): void;
  dispose(): void;
}

export function fuzzRoot(fixture: string, processScans = false): FuzzRoot {
  const root = mkdtempSync(join(tmpdir(), `hostlens-fuzz-${fixture}-`));
  cpSync(FIXTURE_HOSTS + fixture, root, { recursive: true, verbatimSymlinks: true });
  // The sampler's clock runs 10 s per tick ahead of its last reading yet stays behind performance.now()
  // (which top_processes compares the process baseline with): it lags by 10^9 ms less 10 s per tick.
  let lag = 1e9;
  const collectors = createCollectorContext({ root });
  // With processScans, a process scan every tick: top_processes then has a baseline and never measures a fresh window.
  const services = servicesOf(collectors, createSampler({ ctx: collectors, now: () => performance.now() - lag, processScanEvery: processScans ? 1 : 0 }));
  const originals = new Map<string, Buffer>();
  const original = (rel: string): Buffer => {
    let b = originals.get(rel);
    if (!b) {
      b = readFileSync(join(root, rel));
      originals.set(rel, b);
    }
    return b;
  };
  return {
    root,
    services,
    tick() {
      lag -= 10_000;
      services.sampler.tick();
    },
    write(rel, content) {
      original(rel);
      writeFileSync(join(root, rel), content);
    },
    original,
    restore(rel) {
      writeFileSync(join(root, rel), original(rel));
    },
    dispose() {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Calls a tool handler in process, then checks its output against the tool's own data schema. */
export async function callTool(tool: unknown, services: Services, args: Record<string, unknown> = {}): Promise<{ out: ToolOutput<unknown>; problems: string[] }> {
  const t = tool as ToolDefinition;
  const out = await t.handler(t.input.parse(args), toolContext(services));
  const problems: string[] = [];
  const data = t.data.safeParse(out.data);
  if (!data.success) problems.push(`data does not match ${t.name}'s schema: ${data.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  for (const a of out.assessments ?? []) if (!assessmentSchema.safeParse(a).success) problems.push(`bad assessment ${JSON.stringify(a)}`);
  problems.push(...inventedNumbers(out.data, `${t.name}.data`), ...inventedNumbers(out.assessments ?? [], `${t.name}.assessments`));
  t.render(out as never);
  return { out, problems };
}
