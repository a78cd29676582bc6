/** The gateway's structured logger (pino, JSON lines on stderr). Secrets are redacted. */
import { pino, destination, type Logger } from 'pino'

export function createLogger (level = 'info', name = 'model-gateway'): Logger {
  return pino({
    name,
    level,
    redact: {
      paths: ['authorization', 'token', '*.authorization', '*.token', 'headers.authorization', 'req.headers.authorization', 'config.admin.tokens'],
      censor: '[redacted]'
    }
  }, destination({ fd: 2, sync: false }))
}

export type { Logger }
