/**
 * Fuzz get_kernel_events over damaged kernel logs: the recorded dev/kmsg (and sometimes proc/stat) of
 * test/fixtures/kmsg/mixed truncated, replaced by random bytes, emptied, given huge lines / NULs or wrong numbers,
 * with the seeded PRNG of the parser fuzz (FUZZ_SEED overrides). Every case must answer (never throw, a HostlensError
 * is a clean answer too) with data valid against the output schema and times that are real dates.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { HostlensError } from '../../src/contracts/errors.js';
import type { ToolContext } from '../../src/definitions/types.js';
import { kernelEventsDataSchema } from '../../src/diagnostics/kernel-report.js';
import { getKernelEvents } from '../../src/tools/get-kernel-events.js';
import { servicesAt } from '../fixtures/fixture-services.js';
import { KINDS, hash32, mulberry32, mutate } from './mutate.js';

const MIXED = fileURLToPath(new URL('../fixtures/kmsg/mixed/', import.meta.url));
const BASE_SEED = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) >>> 0 : 0x5eed_2026;
const CASES = 200;
const root = mkdtempSync(join(tmpdir(), 'hostlens-fuzz-kmsg-'));
after(() => rmSync(root, { recursive: true, force: true }));

test(`fuzz: get_kernel_events over ${CASES} damaged kernel logs answers with schema-valid data`, async () => {
  mkdirSync(join(root, 'dev'));
  mkdirSync(join(root, 'proc'));
  copyFileSync(join(MIXED, 'proc/uptime'), join(root, 'proc/uptime'));
  const kmsg = readFileSync(join(MIXED, 'dev/kmsg'));
  const stat = readFileSync(join(MIXED, 'proc/stat'));
  const rng = mulberry32(BASE_SEED ^ hash32('kmsg'));
  const services = servicesAt(root);
  const ctx = { services, served: new Map(), signal: new AbortController().signal, progress: async () => {} } as ToolContext;
  const failures: string[] = [];
  let answered = 0;
  for (let i = 0; i < CASES; i++) {
    const kind = KINDS[i % KINDS.length]!;
    const damageStat = rng() < 0.2;
    writeFileSync(join(root, 'dev/kmsg'), damageStat ? kmsg : mutate(rng, kind, kmsg));
    writeFileSync(join(root, 'proc/stat'), damageStat ? mutate(rng, kind, stat) : stat);
    const where = `case ${i} kind ${kind} ${damageStat ? 'proc/stat' : 'dev/kmsg'}`;
    try {
      const r = await getKernelEvents.handler(getKernelEvents.input.parse({ since: '-7d', limit: 200 }), ctx);
      const parsed = kernelEventsDataSchema.safeParse(r.data);
      if (!parsed.success) failures.push(`${where}: ${parsed.error.message.slice(0, 300)}`);
      for (const e of r.data.events) {
        if (e.ts !== null && !Number.isFinite(Date.parse(e.ts))) failures.push(`${where}: bad ts ${e.ts}`);
        if (e.message.length > 600) failures.push(`${where}: message not clipped (${e.message.length})`);
      }
      const sum = Object.values(r.data.countsByKind).reduce((a, b) => a + b, 0);
      if (sum !== r.data.total) failures.push(`${where}: countsByKind sum ${sum} ≠ total ${r.data.total}`);
      answered += 1;
    } catch (e) {
      if (!(e instanceof HostlensError)) failures.push(`${where}: threw ${(e as Error).stack?.slice(0, 300)}`);
    }
  }
  assert.deepEqual(failures, [], `FUZZ_SEED=${BASE_SEED} reproduces:\n${failures.join('\n')}`);
  assert.ok(answered >= CASES * 0.8, `only ${answered} of ${CASES} cases answered with data`);
});
