/** hostlens as a library: the HTTP app factory, the server builder and the product catalogue. */
export { createHttpApp, ConfigurationError, DEFAULT_MAX_BODY_BYTES } from '../http/app.js';
export type { HttpApp, HttpAppOptions, McpFactory, McpFactoryContext } from '../http/app.js';
export { createMemoryEventStore } from '../http/event-store.js';
export type { MemoryEventStore, MemoryEventStoreOptions } from '../http/event-store.js';
export { buildServer } from '../server/build.js';
export type { Catalogue, BuildServerOptions } from '../server/build.js';
export { createProductFactory } from './product-factory.js';
export { createServices } from './host-services.js';
export type { RunningServices, CreateServicesOptions } from './host-services.js';
export { productCatalogue } from '../catalogue/index.js';
export { defineTool, definePrompt, ToolError } from '../definitions/types.js';
export type { ToolDefinition, ResourceDefinition, PromptDefinition, Toolset } from '../definitions/types.js';
export { configSchema, DEFAULT_PORT } from './config-schema.js';
export type { Config } from './config-schema.js';
export { loadConfig, ConfigError } from './config-load.js';
