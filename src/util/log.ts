/**
 * Structured JSON logs, one object per line, always on stderr (stdout belongs
 * to the stdio transport). Callers log facts about requests, never tool
 * output or secrets.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  log(level: LogLevel, msg: string, fields?: Record<string, unknown>): void;
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

interface LoggerOptions {
  level?: LogLevel;
  write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const min = ORDER[options.level ?? DEFAULT_LOG_LEVEL];
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const log = (level: LogLevel, msg: string, fields: Record<string, unknown> = {}): void => {
    if (ORDER[level] < min) return;
    write(`${JSON.stringify({ ts: new Date().toISOString(), level, msg, ...fields })}\n`);
  };
  return {
    log,
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
  };
}

/** A logger that drops everything (tests, benches). */
export const silentLogger: Logger = createLogger({ write: () => undefined });
