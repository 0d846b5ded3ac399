/** Small helpers shared by the conformance fixture modules. */
import type { CallToolResult } from '@modelcontextprotocol/server';
import * as z from 'zod/v4';

/** Input schema of the fixtures that take no arguments. */
export const NO_ARGS = z.object({});

/** A tool result made of one text block. */
export const text = (value: string): CallToolResult => ({ content: [{ type: 'text', text: value }] });

/** Resolves after `ms`, or at once when `signal` aborts (the call was cancelled). */
export const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
