/**
 * Regression tests for bugs the hostile suite found in code owned by others (src/server, src/http),
 * fixed in d7c2b9b:
 *
 * 1. Malformed params of every spec method except tools/call (prompts/get without name, resources/read
 *    without uri, completion/complete {}, a non-string cursor…) were answered -32603 with the raw zod issue
 *    list as the message, in both eras (the SDK's setRequestHandler throws a plain Error when the codec
 *    rejects a request). JSON-RPC and the checklist (A.5, G.5, I.5): -32602 Invalid params.
 * 2. A JSON-RPC batch inside a 2025-11-25 or 2025-06-18 session was served; batches were removed in
 *    2025-06-18 (checklist A.8: only 2025-03-26 sessions take them, otherwise 400 -32600).
 * 3. The text of an invalid-input tool result was not held to maxResultBytes: 50,000 unknown argument keys
 *    came back as 640 KB of "Unrecognized keys: …".
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ACCEPT, expectJsonRpcError, legacyHeaders, MODERN, modernMeta, openLegacySession, readResponse } from '../http/helpers.js';
import { startInProcess, startProductHttp, textOf } from './harness.js';
import { DEFAULT_MAX_RESULT_BYTES } from '../../src/diagnostics/host-inputs.js';

const MALFORMED: ReadonlyArray<readonly [string, Record<string, unknown>]> = [
  ['prompts/get', {}],
  ['prompts/get', { name: 5 }],
  ['prompts/get', { name: 'triage', arguments: 5 }],
  ['resources/read', {}],
  ['resources/read', { uri: 5 }],
  ['completion/complete', {}],
  ['tools/list', { cursor: {} }],
  ['resources/list', { cursor: 5 }],
];

describe('malformed params of spec methods are -32602 (were -32603 with a zod dump)', () => {
  let h: Awaited<ReturnType<typeof startProductHttp>>;
  let sid: string;
  before(async () => {
    h = await startProductHttp();
    sid = await openLegacySession(h.url, '2025-11-25');
  });
  after(async () => {
    await h?.close();
  });

  for (const [method, params] of MALFORMED) {
    test(`${method} ${JSON.stringify(params)} → -32602 in both eras`, async () => {
      const legacy = await fetch(h.url, { method: 'POST', headers: legacyHeaders('2025-11-25', sid), body: JSON.stringify({ jsonrpc: '2.0', id: 3, method, params }) });
      const l = await readResponse(legacy);
      assert.equal(l.error?.code, -32602, `legacy: ${JSON.stringify(l).slice(0, 300)}`);
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: ACCEPT, 'mcp-protocol-version': MODERN, 'mcp-method': method };
      if (typeof params.name === 'string') headers['mcp-name'] = params.name;
      const modern = await fetch(h.url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 3, method, params: { ...params, _meta: modernMeta() } }) });
      const m = await readResponse(modern);
      assert.equal(m.error?.code, -32602, `modern: ${JSON.stringify(m).slice(0, 300)}`);
    });
  }

  for (const version of ['2025-11-25', '2025-06-18']) {
    test(`a JSON-RPC batch in a ${version} session → 400 -32600 (batches were removed in 2025-06-18)`, async () => {
      const session = await openLegacySession(h.url, version);
      const res = await fetch(h.url, {
        method: 'POST',
        headers: legacyHeaders(version, session),
        body: JSON.stringify([
          { jsonrpc: '2.0', id: 1, method: 'tools/list' },
          { jsonrpc: '2.0', id: 2, method: 'ping' },
        ]),
      });
      await expectJsonRpcError(res, 400, -32600, { id: null });
    });
  }
});

describe('invalid-input error text is bounded by maxResultBytes (was 640 KB for 50,000 keys)', () => {
  test('50,000 unknown keys → an isError text within maxResultBytes', async () => {
    const p = await startInProcess({ startSampler: false });
    try {
      const answer = await p.call('get_cpu', Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`key_${i}`, i])));
      assert.equal(answer.result?.isError, true);
      const bytes = Buffer.byteLength(textOf(answer.result!));
      assert.ok(bytes <= DEFAULT_MAX_RESULT_BYTES, `${bytes} bytes of error text`);
    } finally {
      await p.close();
    }
  });
});
