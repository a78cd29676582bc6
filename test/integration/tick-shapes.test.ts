// Node's nextTick record literal keeps fast (monomorphic) inline caches in the
// gateway's process even after collections that run with no tick queued: see
// gateway/tick-shapes.ts. V8's %DebugPrint shows the caches' states; the child
// processes need --allow-natives-syntax for it and --expose-gc to force the
// collections, so these run as separate node processes.
import { spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, closeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { eventually } from '../support/eventually.js'
import { REPO } from './pipeline-harness.js'

const dir = mkdtempSync(join(tmpdir(), 'tick-shapes-'))
afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

const tickShapes = pathToFileURL(join(REPO, 'dist', 'gateway', 'tick-shapes.js')).href
const gatewayMain = join(REPO, 'dist', 'gateway', 'main.js')

/** Queue `n` ticks one after another; collect garbage with nothing queued; queue more; print nextTick's feedback. */
const EXERCISE = `
const ticks = (n) => new Promise(resolve => { let left = n; const step = () => { if (--left === 0) resolve(); else process.nextTick(step) }; process.nextTick(step) })
async function exercise () {
  await ticks(2000)
  for (let i = 0; i < 4; i++) { globalThis.gc(); await new Promise(r => setTimeout(r, 10)) }
  await ticks(2000)
  process.stdout.write('--- nextTick feedback\\n');
  %DebugPrint(process.nextTick)
}
`

/** The states of the literal's four property-definition caches, from a %DebugPrint of nextTick. */
function literalCacheStates (out: string): string[] {
  const after = out.slice(out.indexOf('--- nextTick feedback'))
  return [...after.matchAll(/DefineKeyedOwnPropertyInLiteral (\w+)/g)].map(m => m[1]!)
}

function runScript (name: string, source: string): string {
  const file = join(dir, name)
  writeFileSync(file, source)
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '--expose-gc', file], { encoding: 'utf8', timeout: 30_000 })
  expect(r.status, r.stderr).toBe(0)
  return r.stdout
}

describe('nextTick record shapes', () => {
  it('without a held record, a collection with no tick queued turns nextTick\'s literal caches megamorphic (the condition this guards against)', () => {
    const states = literalCacheStates(runScript('bare.mjs', `${EXERCISE}\nawait exercise()\n`))
    expect(states).toHaveLength(4)
    expect(states).toContain('MEGAMORPHIC')
  })

  it('with gateway/tick-shapes.js imported first, the same collections leave all four caches monomorphic', () => {
    const states = literalCacheStates(runScript('held.mjs', `import ${JSON.stringify(tickShapes)}\n${EXERCISE}\nawait exercise()\n`))
    expect(states).toEqual(['MONOMORPHIC', 'MONOMORPHIC', 'MONOMORPHIC', 'MONOMORPHIC'])
  })

  it('the gateway entry point, after it is ready and collections ran with no tick queued, has all four caches monomorphic', async () => {
    const probe = join(dir, 'probe.cjs')
    // Preloaded into the gateway: on SIGUSR2, run the exercise and exit so stdout is flushed.
    writeFileSync(probe, `${EXERCISE}\nprocess.on('SIGUSR2', () => { exercise().then(() => process.exit(0)) })\n`)
    const config = join(dir, 'gateway.json')
    writeFileSync(config, JSON.stringify({
      gateway: { host: '127.0.0.1' },
      admin: { enabled: false },
      logging: { sink: 'off' },
      models: { m: { versions: { v1: { replicas: ['http://127.0.0.1:9'] }, v2: { replicas: ['http://127.0.0.1:9'] } }, release: { strategy: 'blue-green', active: 'v1', preview: 'v2' }, healthCheck: { enabled: false } } }
    }))
    const outFile = join(dir, 'gateway.out')
    const out = openSync(outFile, 'w')
    const child = spawn(process.execPath, ['--allow-natives-syntax', '--expose-gc', '--require', probe, gatewayMain, '--config', config, '--port', '0'], { stdio: ['ignore', out, 'pipe'] })
    closeSync(out)
    let stderr = ''
    child.stderr!.on('data', (c: Buffer) => { stderr += c.toString() })
    const exited = new Promise<number | null>(resolve => child.on('exit', code => { resolve(code) }))
    try {
      await eventually(() => {
        expect(child.exitCode, stderr).toBeNull()
        expect(readFileSync(outFile, 'utf8')).toContain('"event":"ready"')
      }, { timeoutMs: 20_000 })
      child.kill('SIGUSR2')
      expect(await exited).toBe(0)
      expect(literalCacheStates(readFileSync(outFile, 'utf8'))).toEqual(['MONOMORPHIC', 'MONOMORPHIC', 'MONOMORPHIC', 'MONOMORPHIC'])
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL')
    }
  })
})
