/** hostlens as a library: the HTTP app factory, the server builder and the product catalogue. */
export { createHttpApp, ConfigurationError, DEFAULT_MAX_BODY_BYTES } from '../http/app.js';
export type { HttpApp, HttpAppOptions, McpFactory, McpFactoryContext } from '../http/app.js';
export { createMemoryEventStore } from '../http/event-store.js';
export type { MemoryEventStore, MemoryEventStoreOptions } from '../http/event-store.js';
export { buildServer } from '../server/build.js';
export type { BuildServerOptions } from '../server/build.js';
export type { Catalogue } from '../definitions/types.js';
export { createProductFactory } from './product-factory.js';
export { createServices } from './create-services.js';
export type { RunningServices, CreateServicesOptions } from './create-services.js';
export { productCatalogue } from '../catalogue/index.js';
export { defineTool, definePrompt } from '../definitions/types.js';
export { ToolError } from '../contracts/errors.js';
export type { ToolDefinition, ResourceDefinition, PromptDefinition } from '../definitions/types.js';
export type { Toolset } from '../contracts/scopes.js';
export { configSchema, DEFAULT_PORT } from './config-schema.js';
export type { Config } from './config-schema.js';
export { loadConfig, ConfigError } from './config-load.js';
