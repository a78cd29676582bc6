// node dist/scripts/services/cli.js up|down|status|python-env
import { ensurePythonEnv, PYTHON_ENV_NAMES } from './python-env.js'
import { down, status, up } from './services.js'

const USAGE = 'usage: node dist/scripts/services/cli.js up|down|status|python-env'

async function main(cmd: string | undefined): Promise<number> {
  switch (cmd) {
    case 'up': {
      const env = await up()
      for (const [k, v] of Object.entries(env)) process.stdout.write(`${k}=${v}\n`)
      return 0
    }
    case 'down':
      await down()
      return 0
    case 'status': {
      const all = await status()
      for (const s of all) {
        const pid = s.pid !== undefined ? ` pid ${s.pid}` : ''
        const state = s.answering ? 'answering' : s.running ? 'running, not answering' : 'not running'
        process.stdout.write(`${s.name.padEnd(10)} ${s.mode.padEnd(11)} ${state}${pid} ${s.url}${s.error ? ` (${s.error})` : ''}\n`)
      }
      return all.every((s) => s.answering) ? 0 : 1
    }
    case 'python-env':
      // The interop tests create these on first use; this builds them ahead (e.g. in an image).
      for (const env of await Promise.all(PYTHON_ENV_NAMES.map(ensurePythonEnv))) process.stdout.write(`${env.python}\n`)
      return 0
    default:
      process.stderr.write(`${USAGE}\n`)
      return 2
  }
}

main(process.argv[2]).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`[services] ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  }
)
