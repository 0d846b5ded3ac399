// Preloaded into the memory target (`node --expose-gc --import …/gc-hook.mjs dist/app/cli.js serve …`).
// On SIGUSR2: run a full GC (twice, so weak/finalized objects from the first pass go too) and write one
// JSON line with process.memoryUsage() to stderr. Bench-only; the product never loads this file.
process.on('SIGUSR2', () => {
  if (typeof globalThis.gc === 'function') {
    globalThis.gc();
    globalThis.gc();
  }
  const m = process.memoryUsage();
  process.stderr.write(
    `${JSON.stringify({ benchMemory: { gc: typeof globalThis.gc === 'function', rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers } })}\n`,
  );
});
