/** Talking to `hostlens serve --stdio` in the hostile tests: the initialize line, stdout parsing, bounded waits. */
import assert from 'node:assert/strict';
import { spawnHostlens, within } from '../e2e/helpers.js';
import type { Spawned } from '../e2e/helpers.js';

export const STDIO_INIT = '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"hostile","version":"1"}}}';

/** Every stdout line parsed as JSON (failing on anything that is not a JSON-RPC message). */
export function stdoutMessages(s: Spawned): Array<{ jsonrpc: string; id?: unknown; result?: Record<string, unknown>; error?: { code: number; message: string } }> {
  return s
    .stdout()
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const m = JSON.parse(l) as { jsonrpc: string };
      assert.equal(m.jsonrpc, '2.0', `stdout carries only JSON-RPC: ${l.slice(0, 200)}`);
      return m;
    });
}

/** Waits (bounded) until a message with this id is on stdout. */
export async function answerTo(s: Spawned, id: unknown, ms = 15_000): Promise<ReturnType<typeof stdoutMessages>[number]> {
  return within(
    ms,
    `an answer to id ${String(id)}`,
    (async () => {
      for (;;) {
        const hit = stdoutMessages(s).find((m) => m.id === id);
        if (hit) return hit;
        await new Promise((r) => setTimeout(r, 50));
      }
    })(),
  );
}

/** Spawns `hostlens serve --stdio` and completes the legacy handshake (initialize, notifications/initialized). */
export async function startStdio(): Promise<Spawned> {
  const s = spawnHostlens(['serve', '--stdio']);
  s.child.stdin.write(`${STDIO_INIT}\n`);
  await answerTo(s, 0, 20_000);
  s.child.stdin.write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');
  return s;
}
