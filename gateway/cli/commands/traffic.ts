/**
 * `model-gateway traffic [--rps N] [--users N] [--duration D]`: steady scoring
 * traffic from many sticky users, for the demo and for rehearsing a release;
 * prints what answered (versions, status classes, latency) every few seconds.
 */
import { parseArgs } from 'node:util'
import type { Command } from '../command.js'
import { readEnv } from '../../config/env.js'
import { DEFAULT_GATEWAY_URL } from '../../batch/options.js'
import { parseDuration } from '../../sink/report.js'
import { readFileSync } from 'node:fs'
import { UsageError } from '../usage-error.js'
import { reportLine, startTraffic } from '../traffic-loop.js'

const HELP = `usage: npx model-gateway traffic [options]

Sends scoring requests at a steady rate, each from one of N users (the sticky
header), with the fraud example's features drawn at random, and prints every
few seconds which versions answered and how.

  --url URL          gateway data plane (default $MODEL_GATEWAY_URL or ${DEFAULT_GATEWAY_URL})
  --model M          model (default fraud)
  --rps N            requests per second (default 50)
  --users N          distinct users (default 1000)
  --header NAME      header that carries the user id (default x-user-id)
  --body FILE        send this JSON body instead of the fraud example's
  --duration D       stop after D (30s, 5m, 1h; default: until Ctrl-C)
  --every D          how often to print a line (default 5s)
`

const command: Command = {
  summary: 'send steady scoring traffic from many sticky users (demo, release rehearsal)',
  async run (argv) {
    let values
    try {
      values = parseArgs({
        args: argv,
        strict: true,
        options: { url: { type: 'string' }, model: { type: 'string' }, rps: { type: 'string' }, users: { type: 'string' }, header: { type: 'string' }, body: { type: 'string' }, duration: { type: 'string' }, every: { type: 'string' }, help: { type: 'boolean', short: 'h' } }
      }).values
    } catch (err) {
      process.stderr.write(`model-gateway traffic: ${(err as Error).message}\n\n${HELP}`)
      return 2
    }
    if (values.help === true) { process.stdout.write(HELP); return 0 }
    let opts
    try {
      const num = (raw: string | undefined, name: string, fallback: number, max: number): number => {
        if (raw === undefined) return fallback
        const n = Number(raw)
        if (!Number.isFinite(n) || n <= 0 || n > max) throw new UsageError(`--${name} must be a number above 0 and at most ${max}, got "${raw}"`)
        return n
      }
      const duration = (raw: string | undefined, name: string): number | undefined => {
        if (raw === undefined) return undefined
        try { return parseDuration(raw) * 1000 } catch (err) { throw new UsageError(`--${name}: ${(err as Error).message}`) }
      }
      const url = values.url ?? readEnv().MODEL_GATEWAY_URL ?? DEFAULT_GATEWAY_URL
      if (!/^https?:\/\/[^\s/]+\/?$/.test(url)) throw new UsageError(`--url must be an http(s) base URL, got "${url}"`)
      let body: string | undefined
      if (values.body !== undefined) {
        try { body = readFileSync(values.body, 'utf8') } catch (err) { throw new UsageError(`--body ${values.body}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`) }
      }
      opts = {
        url: url.replace(/\/$/, ''),
        model: values.model ?? 'fraud',
        rps: num(values.rps, 'rps', 50, 10_000),
        users: Math.floor(num(values.users, 'users', 1000, 10_000_000)),
        userHeader: values.header ?? 'x-user-id',
        body,
        maxInFlight: 512,
        durationMs: duration(values.duration, 'duration'),
        reportEveryMs: duration(values.every, 'every') ?? 5_000
      }
    } catch (err) {
      process.stderr.write(`model-gateway traffic: ${(err as Error).message}\n`)
      return 2
    }
    process.stdout.write(`sending ${opts.rps} requests/s to ${opts.url} (model ${opts.model}, ${opts.users} users on ${opts.userHeader})${opts.durationMs === undefined ? '; Ctrl-C stops' : ''}\n`)
    const traffic = startTraffic({ ...opts, onReport: (r) => { process.stdout.write(`${reportLine(r)}\n`) } })
    const stop = (): void => { void traffic.stop() }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
    const total = await traffic.done
    process.off('SIGINT', stop)
    process.off('SIGTERM', stop)
    process.stdout.write(`total over ${reportLine(total).replace(/^\+\s*/, '')}\n`)
    return 0
  }
}

export default command
