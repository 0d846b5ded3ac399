import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProtocolError, ResourceNotFoundError } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { ERROR_CODES, HostlensError } from '../contracts/errors.js';
import type { ErrorCode } from '../contracts/errors.js';
import { createLogger } from '../util/log.js';
import { answeringErrors, httpErrorResponse, jsonRpcErrorObject, toolErrorResult, toProtocolError, translate } from './error-mapping.js';

/** Every code's answers, written out here so a change to the table in error-mapping.ts fails this test. */
const EXPECTED: Record<ErrorCode, { status: number; rpc: number; httpRpc: number }> = {
  invalid_argument: { status: 400, rpc: -32602, httpRpc: -32602 },
  not_found: { status: 404, rpc: -32602, httpRpc: -32000 },
  forbidden: { status: 403, rpc: -32600, httpRpc: -32000 },
  unauthorized: { status: 401, rpc: -32600, httpRpc: -32000 },
  too_large: { status: 413, rpc: -32602, httpRpc: -32000 },
  rate_limited: { status: 429, rpc: -32600, httpRpc: -32000 },
  unavailable: { status: 503, rpc: -32603, httpRpc: -32000 },
  timeout: { status: 504, rpc: -32603, httpRpc: -32000 },
  internal: { status: 500, rpc: -32603, httpRpc: -32603 },
  parse_error: { status: 400, rpc: -32700, httpRpc: -32700 },
  invalid_request: { status: 400, rpc: -32600, httpRpc: -32600 },
  method_not_found: { status: 404, rpc: -32601, httpRpc: -32601 },
  session_not_found: { status: 404, rpc: -32001, httpRpc: -32001 },
  bad_request: { status: 400, rpc: -32600, httpRpc: -32000 },
  method_not_allowed: { status: 405, rpc: -32600, httpRpc: -32000 },
  not_acceptable: { status: 406, rpc: -32600, httpRpc: -32000 },
  conflict: { status: 409, rpc: -32600, httpRpc: -32000 },
  unsupported_media_type: { status: 415, rpc: -32600, httpRpc: -32000 },
};

function capture(): { log: ReturnType<typeof createLogger>; lines: string[] } {
  const lines: string[] = [];
  return { log: createLogger({ level: 'debug', write: (line) => void lines.push(line) }), lines };
}

const textOf = (r: { content: unknown }): string => ((r.content as Array<{ text: string }>)[0] ?? { text: '' }).text;

async function bodyOf(response: Response): Promise<{ jsonrpc: string; id: unknown; error: { code: number; message: string; data?: unknown } }> {
  return (await response.json()) as never;
}

describe('every code has one answer in each place', () => {
  test('the table covers exactly the closed set of codes', () => {
    assert.deepEqual(Object.keys(EXPECTED).sort(), [...ERROR_CODES].sort());
  });

  for (const code of ERROR_CODES) {
    test(`${code} → tool result, JSON-RPC error, HTTP status and body`, async () => {
      const error = new HostlensError(code, `the ${code} message`, { data: { detail: code } });
      const want = EXPECTED[code];
      const internal = code === 'internal';

      const tool = toolErrorResult('get_x', error);
      assert.equal(tool.isError, true);
      assert.equal(textOf(tool), internal ? 'get_x failed: internal error' : `the ${code} message`);

      const rpc = toProtocolError(error);
      assert.ok(rpc instanceof ProtocolError);
      assert.equal(rpc.code, want.rpc);
      assert.equal(rpc.message, internal ? 'Internal error' : `the ${code} message`);
      assert.deepEqual(rpc.data, internal ? undefined : { detail: code });
      assert.deepEqual(jsonRpcErrorObject(error), { code: want.rpc, message: rpc.message, ...(internal ? {} : { data: { detail: code } }) });

      const http = httpErrorResponse(error, { id: 7, headers: { 'retry-after': '3' } });
      assert.equal(http.status, want.status);
      assert.equal(http.headers.get('content-type'), 'application/json');
      assert.equal(http.headers.get('retry-after'), '3');
      const body = await bodyOf(http);
      assert.deepEqual(body, { jsonrpc: '2.0', error: { code: want.httpRpc, message: rpc.message, ...(internal ? {} : { data: { detail: code } }) }, id: 7 });
    });
  }

  test('not_found on a request naming a resource is the SDK resource-not-found (-32602, data exactly {uri})', () => {
    const rpc = toProtocolError(new HostlensError('not_found', 'unknown snapshot "x"'), { uri: 'diag://snapshots/x' });
    assert.ok(rpc instanceof ResourceNotFoundError);
    assert.equal(rpc.code, -32602);
    assert.deepEqual(rpc.data, { uri: 'diag://snapshots/x' });
    assert.equal(rpc.message, 'unknown snapshot "x"');
  });

  test('answeringErrors takes the uri from the request params; other methods get the plain code', async () => {
    const failing = answeringErrors((_request: { params?: { uri?: string } }, _ctx: unknown) => {
      throw new HostlensError('not_found', 'gone');
    });
    await assert.rejects(failing({ params: { uri: 'diag://x' } }, undefined), (e: unknown) => e instanceof ResourceNotFoundError && (e.data as { uri: string }).uri === 'diag://x');
    await assert.rejects(failing({ params: {} }, undefined), (e: unknown) => e instanceof ProtocolError && e.code === -32602 && e.data === undefined);
  });

  test("the SDK's own protocol errors pass through unchanged; in a tool result their message is the text", () => {
    const sdk = new ProtocolError(-32602, 'Input validation error: limit must be ≤ 50');
    assert.equal(toProtocolError(sdk), sdk);
    assert.equal(textOf(toolErrorResult('top_processes', sdk)), 'Input validation error: limit must be ≤ 50');
  });
});

describe('an unknown error leaks nothing', () => {
  const secret = new Error('open /root/.ssh/id_rsa failed with password=hunter2hunter2\n    at readKey (/srv/hostlens/src/x.ts:1:1)');

  test('tool result: "<tool> failed: internal error", no message, no stack', () => {
    const text = textOf(toolErrorResult('get_x', secret));
    assert.equal(text, 'get_x failed: internal error');
  });

  test('JSON-RPC and HTTP: "Internal error" (-32603, 500), no data', async () => {
    const rpc = toProtocolError(secret);
    assert.deepEqual([rpc.code, rpc.message, rpc.data], [-32603, 'Internal error', undefined]);
    const http = httpErrorResponse(secret);
    assert.equal(http.status, 500);
    const text = await http.text();
    assert.equal(text, '{"jsonrpc":"2.0","error":{"code":-32603,"message":"Internal error"},"id":null}');
    assert.deepEqual(jsonRpcErrorObject('a thrown string'), { code: -32603, message: 'Internal error' });
  });

  test('what happened is logged (first line, redacted), never a stack', () => {
    const { log, lines } = capture();
    toolErrorResult('get_x', secret, { log });
    assert.equal(lines.length, 1);
    const line = JSON.parse(lines[0]!) as { level: string; msg: string; where: string; error: string };
    assert.deepEqual([line.level, line.msg, line.where], ['error', 'internal error', 'tool get_x']);
    assert.match(line.error, /^Error: open \/root\/\.ssh\/id_rsa failed/);
    assert.ok(!line.error.includes('hunter2hunter2'), `redacted: ${line.error}`);
    assert.ok(!lines[0]!.includes('readKey') && !lines[0]!.includes('x.ts:1:1'), 'no stack');
  });
});

describe('cause is logged, never sent', () => {
  const cause = Object.assign(new Error('connect ECONNREFUSED /run/docker.sock'), { code: 'ECONNREFUSED' });
  const error = new HostlensError('unavailable', 'the container engine could not inspect web', { cause });

  test('tool result, JSON-RPC error and HTTP body carry the message only', async () => {
    const { log, lines } = capture();
    const shown = [
      textOf(toolErrorResult('get_container_logs', error, { log })),
      toProtocolError(error, { log }).message,
      JSON.stringify(jsonRpcErrorObject(error, log)),
      await httpErrorResponse(error, { log }).text(),
    ];
    for (const s of shown) {
      assert.match(s, /the container engine could not inspect web/);
      assert.ok(!s.includes('docker.sock') && !s.includes('ECONNREFUSED'), s);
    }
    assert.equal(lines.length, 4, 'one log line per answer');
    for (const l of lines) {
      const line = JSON.parse(l) as { level: string; code: string; error: string };
      assert.deepEqual([line.level, line.code], ['warn', 'unavailable']);
      assert.match(line.error, /^HostlensError \(unavailable\): the container engine could not inspect web <- Error \(ECONNREFUSED\): connect ECONNREFUSED \/run\/docker\.sock$/);
    }
  });

  test('an error without a cause the client can act on is not logged', () => {
    const { log, lines } = capture();
    toolErrorResult('get_x', new HostlensError('invalid_argument', 'cursor is not valid'), { log });
    assert.deepEqual(lines, []);
  });
});

describe('domain errors are translated in one place', () => {
  const errno = (code: string, message: string): Error => Object.assign(new Error(message), { code, syscall: 'open', errno: -2 });

  test('ENOENT/ESRCH → not_found, EACCES/EPERM → forbidden, another errno → unavailable, each with its first line', () => {
    const cases: Array<[string, ErrorCode]> = [
      ['ENOENT', 'not_found'],
      ['ESRCH', 'not_found'],
      ['EACCES', 'forbidden'],
      ['EPERM', 'forbidden'],
      ['EMFILE', 'unavailable'],
    ];
    for (const [code, want] of cases) {
      const t = translate(errno(code, `${code}: something, open '/proc/1/x'\nsecond line`));
      assert.deepEqual([t.code, t.message], [want, `${code}: something, open '/proc/1/x'`], code);
    }
  });

  test('a collector errno in a tool reads "<tool> failed: <first line>"', () => {
    const text = textOf(toolErrorResult('get_cgroup', errno('ENOENT', "ENOENT: no such file or directory, open '/sys/fs/cgroup/x/memory.max'")));
    assert.equal(text, "get_cgroup failed: ENOENT: no such file or directory, open '/sys/fs/cgroup/x/memory.max'");
  });

  test('a zod error → invalid_argument naming the first issue', () => {
    const parsed = z.object({ limit: z.number().max(50) }).safeParse({ limit: 99 });
    assert.ok(!parsed.success);
    const t = translate(parsed.error);
    assert.equal(t.code, 'invalid_argument');
    assert.match(t.message, /^limit: /);
  });

  test('a cancelled call says so, whatever it threw', () => {
    const controller = new AbortController();
    controller.abort();
    assert.equal(textOf(toolErrorResult('get_cpu', new Error('aborted'), { signal: controller.signal })), 'get_cpu was cancelled before it finished');
  });

  test('a tool error text is redacted and held within maxResultBytes', () => {
    const long = new HostlensError('invalid_argument', `bad filter password=hunter2hunter2 ${'x'.repeat(10_000)}`);
    const text = textOf(toolErrorResult('search_logs', long, { maxBytes: 4096 }));
    assert.ok(!text.includes('hunter2hunter2'), text.slice(0, 80));
    assert.ok(Buffer.byteLength(text) <= 4096, `${Buffer.byteLength(text)} bytes`);
  });
});
