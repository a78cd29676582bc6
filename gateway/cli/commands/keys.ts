/**
 * `model-gateway keys add|rotate|revoke|list <app> …` and `keys hash`: the API
 * keys of a data-plane application. A new key is printed once; the gateway
 * keeps only its hash. `keys hash` reads a key on stdin and prints the
 * `sha256:…` form for a config file, without calling the gateway.
 */
import { adminCommand, table, UsageError } from '../admin-command.js'
import type { ApplicationView, NewKeyView } from '../../admin/access-routes.js'
import { hashKey } from '../../state/access-state.js'

const SUBCOMMANDS = ['add', 'rotate', 'revoke', 'list', 'hash'] as const

export default adminCommand('keys', {
  summary: 'API keys of a data-plane application: add, rotate, revoke, list; hash (for a config file)',
  usage: '<add|rotate|revoke|list|hash> [<app> [<name|id>]]',
  help: [
    '',
    '  keys add <app> <name>                  a new key, printed once',
    '  keys rotate <app> <name> [--grace S]   a new key under <name>; the old one works S seconds more (default 0)',
    '  keys revoke <app> <name|id>            stops the key on every instance at once',
    '  keys list <app>                        names, ids, creation and expiry (never keys)',
    '  keys hash < keyfile                    prints sha256:<hex> for access.applications.<app>.keys[].hash'
  ],
  options: { grace: { type: 'string' } },
  minArgs: 1,
  maxArgs: 3,
  async run (ctx) {
    const [sub, app, name] = ctx.args as [string, string | undefined, string | undefined]
    if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw new UsageError(`unknown keys subcommand "${sub}" (use ${SUBCOMMANDS.join(', ')})`)
    const wanted = sub === 'hash' ? 0 : sub === 'list' ? 1 : 2
    if (ctx.args.length - 1 !== wanted) throw new UsageError(`keys ${sub} takes ${wanted === 0 ? 'no arguments' : wanted === 1 ? '<app>' : '<app> <name>'}`)
    if (sub === 'hash') {
      const key = (await readStdin()).trim()
      if (key.length < 16) throw new UsageError('keys hash reads a key of at least 16 characters on stdin')
      const hash = hashKey(key)
      ctx.out(hash)
      return { hash }
    }
    const base = `/admin/applications/${encodeURIComponent(app!)}/keys`
    switch (sub) {
      case 'add':
      case 'rotate': {
        const res = sub === 'add'
          ? await ctx.client.call<NewKeyView>('POST', base, { name })
          : await ctx.client.call<NewKeyView>('POST', `${base}/${encodeURIComponent(name!)}/rotate`, { graceSeconds: parseGrace(ctx.flags.grace) })
        ctx.out(res.key)
        ctx.out(`key "${res.name}" (id ${res.id}) of ${app!}: shown this once, store it now; access revision ${res.revision}`)
        return res
      }
      case 'revoke': {
        const res = await ctx.client.call<{ revision: number }>('DELETE', `${base}/${encodeURIComponent(name!)}`)
        ctx.out(`key "${name!}" of ${app!} revoked; access revision ${res.revision}`)
        return res
      }
      default: {
        const res = await ctx.client.call<{ revision: number, application: ApplicationView }>('GET', `/admin/applications/${encodeURIComponent(app!)}`)
        const rows = res.application.keys.map(k => [k.name, k.id, k.createdAt, k.expiresAt ?? '-'])
        for (const l of table(['KEY', 'ID', 'CREATED', 'EXPIRES'], rows)) ctx.out(l)
        return res
      }
    }
  }
})

function parseGrace (s: string | boolean | undefined): number {
  if (s === undefined) return 0
  if (typeof s !== 'string' || !/^\d{1,7}$/.test(s)) throw new UsageError(`--grace must be whole seconds, got "${String(s)}"`)
  return Number(s)
}

async function readStdin (): Promise<string> {
  const chunks: Buffer[] = []
  for await (const c of process.stdin) chunks.push(c as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}
