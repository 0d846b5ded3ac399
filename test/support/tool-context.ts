/**
 * A ToolContext for calling a definition's handler in process, as the server
 * would: by default the tools a server with only the core toolset serves
 * (what triage's next steps may name), a fresh signal and no progress sink.
 */
import { productCatalogue } from '../../src/catalogue/index.js';
import { servedTools } from '../../src/catalogue/served-tools.js';
import type { Toolset } from '../../src/contracts/scopes.js';
import type { Services } from '../../src/definitions/host-services.js';
import type { ToolContext } from '../../src/definitions/types.js';

export function toolContext(services: Services, options: { toolsets?: Toolset[]; signal?: AbortSignal; progress?: ToolContext['progress'] } = {}): ToolContext {
  return {
    services,
    served: servedTools(productCatalogue.tools, options.toolsets ?? ['core']),
    signal: options.signal ?? new AbortController().signal,
    progress: options.progress ?? (async () => undefined),
  };
}
