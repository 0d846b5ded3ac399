/**
 * Toolsets and scopes: the names every layer agrees on, and the one rule
 * that gives a tool its scope (its definition's `scope`, else its toolset's).
 */

/** Groups of tools enabled together (`--toolsets core,config` / HOSTLENS_TOOLSETS); `core` is the default. Each holds at least one tool. */
export const TOOLSETS = ['core', 'network', 'logs', 'containers', 'history', 'config'] as const;
export type Toolset = (typeof TOOLSETS)[number];
/** What a server serves unless configured otherwise (config `toolsets`): ≤ 15 tools, for a small agent context. */
export const DEFAULT_TOOLSETS: readonly Toolset[] = ['core'];

/** OAuth scopes a principal may hold. */
export const SCOPES = ['hostlens:read', 'hostlens:processes', 'hostlens:logs', 'hostlens:config', 'hostlens:admin'] as const;
export type Scope = (typeof SCOPES)[number];

export const READ_SCOPE: Scope = 'hostlens:read';
export const ADMIN_SCOPE: Scope = 'hostlens:admin';

/** Toolsets whose tools need more than hostlens:read unless a definition says otherwise. */
const TOOLSET_SCOPES: Partial<Record<Toolset, Scope>> = { logs: 'hostlens:logs', config: 'hostlens:config' };

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}

export function scopeOfTool(def: { toolset: Toolset; scope?: Scope | undefined }): Scope {
  return def.scope ?? TOOLSET_SCOPES[def.toolset] ?? READ_SCOPE;
}
