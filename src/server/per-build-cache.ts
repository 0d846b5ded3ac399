/**
 * What a server build shares with every later build of the same catalogue,
 * services and enabled toolsets (the tool table, the prompt/resource
 * handlers): built once, held weakly by the catalogue part and the services.
 */
import type { Toolset } from '../contracts/scopes.js';
import type { Services } from '../definitions/host-services.js';

export function perBuildCache<K extends object, V>(): (owner: K, services: Services, toolsets: readonly Toolset[], build: () => V) => V {
  const byOwner = new WeakMap<K, WeakMap<Services, Map<string, V>>>();
  return (owner, services, toolsets, build) => {
    let byServices = byOwner.get(owner);
    if (!byServices) {
      byServices = new WeakMap();
      byOwner.set(owner, byServices);
    }
    let byToolsets = byServices.get(services);
    if (!byToolsets) {
      byToolsets = new Map();
      byServices.set(services, byToolsets);
    }
    const key = toolsets.join(',');
    let value = byToolsets.get(key);
    if (value === undefined) {
      value = build();
      byToolsets.set(key, value);
    }
    return value;
  };
}
