/**
 * Extra node flags for the bench's and the soak's server children. None by
 * default: the entry (src/app/cli.ts) applies the product's flags itself
 * (src/app/node-flags.ts), so the children start the way users start hostlens
 * (`node dist/app/cli.js serve`) and their figures are the product's.
 * BENCH_NODE_FLAGS (space-separated) adds flags for an experiment; a V8 option
 * given there wins over the entry's (it leaves options set on the command line alone).
 */
export const SERVER_NODE_FLAGS: readonly string[] = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
