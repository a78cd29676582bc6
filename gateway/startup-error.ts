/**
 * Start-up failures a person can cause and fix (a port in use, a bad config, a
 * service that is not there, a certificate file that cannot be read) become
 * one line that says what to do, instead of a stack trace. main.ts prints it
 * and exits; a stack is printed only for what is not recognised, and only with
 * LOG_LEVEL=debug.
 */
import { ConfigError } from './config/load.js'

export interface ListenPlan {
  host: string
  port: number
  adminHost: string
  adminPort: number
}

/** Exit code 2 for a config the user must change, 1 for everything else. */
export function exitCodeOf (err: unknown): number {
  return err instanceof ConfigError ? 2 : 1
}

export function describeStartupError (err: unknown, listen: ListenPlan | undefined): string {
  if (err instanceof ConfigError) return `invalid config: ${err.message}`
  const e = err as NodeJS.ErrnoException & { port?: number, address?: string }
  if (e?.code === 'EADDRINUSE' || e?.code === 'EACCES' || e?.code === 'EADDRNOTAVAIL') return listenProblem(e, listen)
  const msg = (e?.message ?? String(err)).split('\n')[0]!
  return msg
}

function listenProblem (e: NodeJS.ErrnoException & { port?: number, address?: string }, listen: ListenPlan | undefined): string {
  const admin = listen !== undefined && e.port === listen.adminPort && e.port !== listen.port
  const which = admin ? 'the admin API' : 'the data plane'
  const flag = admin ? '--admin-port' : '--port'
  const key = admin ? 'admin.port' : 'gateway.port'
  const where = `${e.address ?? (admin ? listen?.adminHost : listen?.host) ?? '?'}:${e.port ?? '?'}`
  switch (e.code) {
    case 'EADDRINUSE':
      return `cannot listen on ${where} for ${which}: the port is in use by another process. Stop it, or start with ${flag} N (0 = any free port) or set ${key}`
    case 'EACCES':
      return `cannot listen on ${where} for ${which}: permission denied (ports below 1024 need privileges). Use ${flag} N with N >= 1024`
    default:
      return `cannot listen on ${where} for ${which}: that address is not on this machine. Set ${admin ? 'admin.host / GATEWAY_ADMIN_HOST' : 'gateway.host / GATEWAY_HOST'} to a local address (127.0.0.1, or 0.0.0.0 for all)`
  }
}
