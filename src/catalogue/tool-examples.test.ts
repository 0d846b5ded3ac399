/**
 * The examples on the tool definitions: each one is a valid call of its own
 * tool (the input schema accepts it as is), every tool that cannot be called
 * without arguments has one, and none of them reaches tools/list.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/server';
import { createServices } from '../app/create-services.js';
import { TOOLSETS } from '../contracts/scopes.js';
import type { ToolDefinition } from '../definitions/types.js';
import { buildServer } from '../server/build.js';
import { productCatalogue } from './index.js';

const CTX = { serverPid: 4242 };
const argsOf = (example: NonNullable<ToolDefinition['examples']>[number]): Record<string, unknown> =>
  typeof example.args === 'function' ? example.args(CTX) : example.args;

/** Tools whose input refuses `{}`, and tools whose examples their own input refuses, with zod's reason. */
function exampleProblems(tools: readonly ToolDefinition[]): string[] {
  const problems: string[] = [];
  for (const tool of tools) {
    const examples = tool.examples ?? [];
    if (examples.length === 0 && !tool.input.safeParse({}).success) problems.push(`${tool.name}: required arguments and no example`);
    examples.forEach((example, i) => {
      const parsed = tool.input.safeParse(argsOf(example));
      if (!parsed.success) problems.push(`${tool.name} example ${i}: ${parsed.error.issues.map((x) => `${x.path.join('.')} ${x.message}`).join('; ')}`);
    });
  }
  return problems;
}

describe('tool examples', () => {
  test('every example parses with its own tool\'s input schema; every tool with required arguments has one', () => {
    assert.deepEqual(exampleProblems(productCatalogue.tools), []);
    const withExamples = productCatalogue.tools.filter((t) => (t.examples ?? []).length > 0).map((t) => t.name);
    assert.ok(withExamples.includes('get_process') && withExamples.includes('diff_snapshots'), `examples on ${withExamples.join(', ')}`);
  });

  test('a missing example and a wrong one are caught', () => {
    const [getProcess, getSysctl] = ['get_process', 'get_sysctl'].map((n) => productCatalogue.tools.find((t) => t.name === n)!);
    const planted = [
      { ...getProcess!, examples: [] },
      { ...getSysctl!, examples: [{ args: { prefix: 'vm.', limit: 0 } }] },
    ] as ToolDefinition[];
    assert.deepEqual(
      exampleProblems(planted).map((p) => p.replace(/:.*/, '')),
      ['get_process', 'get_sysctl example 0'],
    );
  });

  test('examples are not sent: tools/list carries none of them', async () => {
    const root = mkdtempSync(join(tmpdir(), 'hostlens-examples-'));
    const services = createServices({ root, startSampler: false, changeWatch: false });
    try {
      const server = buildServer({ catalogue: productCatalogue, services, toolsets: [...TOOLSETS], name: 'examples', version: '0' });
      const [a, b] = InMemoryTransport.createLinkedPair();
      await server.connect(a);
      const client = new Client({ name: 'examples', version: '0' });
      await client.connect(b);
      const listed = JSON.stringify((await client.listTools()).tools);
      assert.doesNotMatch(listed, /"examples"/);
      const whys = productCatalogue.tools.flatMap((t) => (t.examples ?? []).map((e) => e.why)).filter((w): w is string => w !== undefined);
      assert.ok(whys.length > 0);
      for (const why of whys) assert.ok(!listed.includes(why), `"${why}" is in the listing`);
      await client.close();
    } finally {
      services.stop();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
