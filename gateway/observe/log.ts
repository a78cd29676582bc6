/** The gateway's structured logger (pino, JSON lines on stderr). Secrets are redacted. */
import { pino, destination, type Logger } from 'pino'

export function createLogger (level = 'info', name = 'model-gateway'): Logger {
  return pino({
    name,
    level,
    redact: {
      // Secrets of the backing services travel in objects named password/sasl/security; none is logged on purpose, these catch accidents.
      paths: ['authorization', 'token', '*.authorization', '*.token', 'headers.authorization', 'req.headers.authorization', 'config.admin.tokens',
        'password', '*.password', '*.*.password', 'sasl', '*.sasl', 'kafkaSecurity', '*.kafkaSecurity', 'config.state.redis', 'config.rollouts.clickhouse'],
      censor: '[redacted]'
    }
  }, destination({ fd: 2, sync: false }))
}

export type { Logger }
