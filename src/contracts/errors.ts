/**
 * Errors a user can act on, thrown from any layer.
 */
/** A tool failure the agent can act on: becomes an `isError` result with this message. */
export class ToolError extends Error {
  override name = 'ToolError';
}

/** A prompt argument the prompt cannot use (unknown snapshot id, inverted time range): -32602 to the client. */
export class PromptArgumentError extends Error {
  override name = 'PromptArgumentError';
}

/** A resource the catalogue does not have (unknown snapshot id, runbook topic): -32002 to the client. */
export class ResourceNotFound extends Error {
  override name = 'ResourceNotFound';
}
