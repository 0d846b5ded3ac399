/**
 * Regression test for a bug the hostile suite found (stdio transport, SDK StdioServerTransport as wired in
 * src/serve.ts; fixed in aa0ccf4): a line on stdin that is not JSON gets no answer at all (only a "stdio error" warning on
 * stderr). JSON-RPC 2.0 (and checklist A.3): an unparseable message is answered with a -32700 Parse
 * error whose id is null, so the client learns its line was lost instead of waiting for a timeout.
 * Fix idea: in the stdio wiring, an onerror for a parse failure writes
 * {"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}} to stdout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { killAll } from '../e2e/helpers.js';
import type { Spawned } from '../e2e/helpers.js';
import { answerTo, startStdio, stdoutMessages } from './stdio-child.js';

describe('stdio answers -32700 (id null) for an unparseable line (was: no answer at all)', { timeout: 30_000 }, () => {
  let s: Spawned;
  before(async () => {
    s = await startStdio();
  });
  after(async () => {
    await killAll();
  });

  test('"not json" and a truncated object → two -32700 answers with id null', async () => {
    s.child.stdin.write('not json\n{"jsonrpc":"2.0","id":1,\n{"jsonrpc":"2.0","id":"ping-after","method":"ping"}\n');
    await answerTo(s, 'ping-after');
    const parseErrors = stdoutMessages(s).filter((m) => m.error?.code === -32700 && m.id === null);
    assert.equal(parseErrors.length, 2, JSON.stringify(stdoutMessages(s).slice(1)).slice(0, 400));
  });
});
