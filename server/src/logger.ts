// Structured JSON logs (pino). Request bodies are never logged; fields that could carry PHI are redacted.
import pino from 'pino';

export type Logger = pino.Logger;

export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'meridian' },
    redact: {
      paths: ['body', 'resource', 'req.body', 'req.headers.authorization', 'req.headers.cookie', '*.name', '*.birthDate', '*.telecom', '*.address'],
      censor: '[redacted]',
    },
  });
}
