/**
 * Paging adopted by the list tools, over recorded host trees: with limit 1
 * (or 2) the cursor walks the whole list, each item exactly once and in the
 * order of a single unpaged call; a cursor replayed with other arguments is
 * refused naming the cursor.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ToolDefinition, ToolOutput } from '../definitions/types.js';
import type { Services } from '../definitions/host-services.js';
import { fixtureServices } from '../../test/fixtures/fixture-services.js';
import { getDiskIo } from './get-disk-io.js';
import { getFilesystems } from './get-filesystems.js';
import { getNetwork } from './get-network.js';
import { getPressure } from './get-pressure.js';
import { topProcessesTool } from './top-processes.js';

type AnyTool = ToolDefinition;

async function call(tool: AnyTool, services: Services, args: Record<string, unknown>): Promise<ToolOutput<Record<string, unknown>>> {
  const parsed = tool.input.parse(args);
  return (await tool.handler(parsed as never, { services, served: new Map(), signal: AbortSignal.timeout(20_000), progress: async () => undefined })) as ToolOutput<Record<string, unknown>>;
}

/** Every page with `args` from the first to the last, checking the page descriptor on the way. */
async function walk(tool: AnyTool, services: Services, field: string, key: (item: unknown) => unknown, args: Record<string, unknown>): Promise<unknown[]> {
  const seen: unknown[] = [];
  let cursor: string | undefined;
  for (let calls = 0; calls < 100; calls++) {
    const out = await call(tool, services, { ...args, ...(cursor ? { cursor } : {}) });
    const items = out.data[field] as unknown[];
    assert.equal(out.page?.field, field, `${tool.name} describes its page`);
    assert.equal(out.page?.offset, seen.length, `${tool.name} page offset`);
    seen.push(...items.map(key));
    cursor = out.truncated?.nextCursor;
    if (!cursor) return seen;
    assert.equal(out.truncated?.returned, items.length);
  }
  assert.fail(`${tool.name}: no end after 100 pages`);
}

const cases: Array<{ tool: AnyTool; field: string; key: (item: unknown) => unknown; args: Record<string, unknown>; pageArgs: Record<string, unknown>; min: number }> = [
  { tool: getFilesystems as unknown as AnyTool, field: 'mounts', key: (m) => (m as { mount: string }).mount, args: { includePseudo: true }, pageArgs: { includePseudo: true, limit: 1 }, min: 3 },
  { tool: getDiskIo as unknown as AnyTool, field: 'devices', key: (d) => (d as { name: string }).name, args: {}, pageArgs: { limit: 1 }, min: 2 },
  { tool: getNetwork as unknown as AnyTool, field: 'interfaces', key: (i) => (i as { name: string }).name, args: {}, pageArgs: { limit: 1 }, min: 2 },
  { tool: getPressure as unknown as AnyTool, field: 'cgroups', key: (c) => (c as { path: string }).path, args: { topCgroups: 20 }, pageArgs: { topCgroups: 1 }, min: 2 },
];

describe('list tools page through their list with limit + cursor', () => {
  for (const c of cases) {
    test(`${c.tool.name}: limit 1 pages through every ${c.field} item exactly once, in the unpaged order`, async () => {
      const services = c.tool.name === 'get_pressure' ? fixtureServices('idle') : fixtureServices('busy', 'busy-later');
      const all = ((await call(c.tool, services, c.args)).data[c.field] as unknown[]).map(c.key);
      assert.ok(all.length >= c.min, `${c.tool.name}: fixture has ${all.length} ${c.field}`);
      assert.deepEqual(await walk(c.tool, services, c.field, c.key, c.pageArgs), all);
    });
  }

  test('top_processes: cursor continues the same sort at the next rank (memory ranking is stable on a recorded tree)', async () => {
    const services = fixtureServices('busy', 'busy-later');
    const all = ((await call(topProcessesTool as unknown as AnyTool, services, { sortBy: 'memory', limit: 50 })).data.processes as Array<{ pid: number }>).map((p) => p.pid);
    assert.ok(all.length >= 4, `${all.length} processes`);
    const paged = await walk(topProcessesTool as unknown as AnyTool, services, 'processes', (p) => (p as { pid: number }).pid, { sortBy: 'memory', limit: 3 });
    assert.deepEqual(paged, all);
  });

  test('a cursor replayed with other arguments is a tool error naming the cursor', async () => {
    const services = fixtureServices('busy', 'busy-later');
    const first = await call(getFilesystems as unknown as AnyTool, services, { includePseudo: true, limit: 1 });
    const cursor = first.truncated?.nextCursor;
    assert.ok(cursor);
    await assert.rejects(call(getFilesystems as unknown as AnyTool, services, { includePseudo: false, limit: 1, cursor }), /cursor belongs to a different query/);
    await assert.rejects(call(getDiskIo as unknown as AnyTool, services, { limit: 1, cursor }), /cursor/);
    await assert.rejects(call(topProcessesTool as unknown as AnyTool, services, { sortBy: 'memory', cursor: '%%%' }), /cursor is not valid/);
  });
});
