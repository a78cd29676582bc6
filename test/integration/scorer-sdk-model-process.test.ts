import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { afterEach, describe, expect, it } from 'vitest'
import { modelMainPath, startModel } from '../../scripts/processes/model-process.js'
import type { ModelProcess } from '../../scripts/processes/model-process.js'

// The example's process contract: one JSON ready line on stdout, clean exit on SIGTERM/SIGINT.
const started: ModelProcess[] = []
afterEach(async () => {
  await Promise.all(started.splice(0).map((m) => m.stop()))
})

describe('fraud example process', () => {
  it('prints exactly one ready line with name, version, port and pid', async () => {
    const child = spawn(process.execPath, [modelMainPath(), '--version', 'v2', '--name', 'fraud-x'], { stdio: ['ignore', 'pipe', 'pipe'] })
    const lines: string[] = []
    const rl = createInterface({ input: child.stdout })
    rl.on('line', (line) => lines.push(line))
    await new Promise<void>((resolve) => rl.once('line', () => resolve()))
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    child.kill('SIGTERM')
    expect(await exit).toBe(0)
    expect(lines).toHaveLength(1)
    const ready = JSON.parse(lines[0]!) as Record<string, unknown>
    expect(Object.keys(ready)).toEqual(['event', 'name', 'version', 'port', 'pid'])
    expect(ready).toMatchObject({ event: 'ready', name: 'fraud-x', version: 'v2', pid: child.pid })
    expect(ready.port).toBeGreaterThan(0)
  })

  it('serves an unknown version with the v1 weights and says so on stderr', async () => {
    const model = await startModel({ version: 'v3' })
    started.push(model)
    expect(model.stderr()).toMatch(/no weights-v3\.json, serving v3 with the v1 weights/)
    const meta = await (await fetch(`${model.url}/v2/models/fraud`)).json() as { versions: string[] }
    expect(meta.versions).toEqual(['v3'])
  })

  it.each(['SIGTERM', 'SIGINT'] as const)('exits with code 0 on %s', async (signal) => {
    const model = await startModel({ version: 'v1' })
    started.push(model)
    const exit = new Promise<number | null>((resolve) => model.process.once('exit', (code) => resolve(code)))
    model.kill(signal)
    expect(await exit).toBe(0)
  })

  it('reports a start failure with the process stderr', async () => {
    await expect(startModel({ version: 'v1', port: 70000 })).rejects.toThrow(/exited \(code 2.*before it was ready; stderr:\n.*--port must be/s)
  })
})
