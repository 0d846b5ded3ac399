import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { createCollectorContext } from './context.js';
import { parsePsi, readPressure, stallPctInWindow } from './pressure.js';

const FIX = fileURLToPath(new URL('../../test/fixtures/hosts/', import.meta.url));
const ctxFor = (host: string) => createCollectorContext({ root: FIX + host });

test('readPressure: idle fixture', () => {
  const p = readPressure(ctxFor('idle'));
  assert.equal(p.available, true);
  assert.deepEqual(p.cpu, {
    some: { avg10Pct: 0, avg60Pct: 0.01, avg300Pct: 0, totalUsec: 1203311 },
    full: { avg10Pct: 0, avg60Pct: 0, avg300Pct: 0, totalUsec: 0 },
  });
  assert.equal(p.memory!.some.totalUsec, 50211);
  assert.equal(p.memory!.full!.totalUsec, 40112);
  assert.equal(p.io!.some.avg10Pct, 0.05);
  assert.deepEqual(p.warnings, []);
});

test('readPressure: busy fixture shows memory and io stalls', () => {
  const p = readPressure(ctxFor('busy'));
  assert.deepEqual(p.memory, {
    some: { avg10Pct: 35.5, avg60Pct: 28.1, avg300Pct: 12.4, totalUsec: 412345678 },
    full: { avg10Pct: 18.2, avg60Pct: 14.75, avg300Pct: 6.05, totalUsec: 201234567 },
  });
  assert.equal(p.cpu!.some.avg10Pct, 41.27);
  assert.equal(p.io!.full!.avg10Pct, 12.4);
  assert.equal(p.io!.full!.totalUsec, 355667788);
});

test('readPressure: container fixture (host PSI) and absent PSI', () => {
  const p = readPressure(ctxFor('container-v2'));
  assert.equal(p.cpu!.some.avg10Pct, 8.2);
  const none = readPressure(createCollectorContext({ root: '/nonexistent-root' }));
  assert.deepEqual(none, { available: false, cpu: null, memory: null, io: null, warnings: [] });
});

test('parsePsi: cpu without a full line (kernel < 5.13), garbage → null', () => {
  assert.deepEqual(parsePsi('some avg10=1.50 avg60=0.50 avg300=0.10 total=12345\n'), {
    some: { avg10Pct: 1.5, avg60Pct: 0.5, avg300Pct: 0.1, totalUsec: 12345 },
  });
  assert.equal(parsePsi('some avg10=x avg60=0 avg300=0 total=1'), null);
  assert.equal(parsePsi('\0\0\0'), null);
});

test('stallPctInWindow', () => {
  assert.equal(stallPctInWindow(412345678, 415845678, 10), 35); // 3.5 s stalled in 10 s
  assert.equal(stallPctInWindow(100, 50, 10), null); // counter reset
  assert.equal(stallPctInWindow(0, 100, 0), null);
});
