import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../gateway/config/load.js'
import { readEnv } from '../../gateway/config/env.js'

// The shadow section: mirrors pipelined 8 deep on their own connections unless
// the file says otherwise; a depth outside 1–64 is refused with its path.

const MODELS = 'models:\n  m:\n    versions:\n      v1: { replicas: [http://127.0.0.1:9000] }\n    release: { strategy: canary, stable: v1 }\n'
const parse = (yaml: string): ReturnType<typeof parseConfig> => parseConfig(yaml, 'gw.yaml', readEnv({}))

describe('shadow config', () => {
  it('pipelining defaults to 8 next to the other shadow defaults', () => {
    expect(parse(MODELS).shadow).toEqual({ maxInFlight: 64, timeoutMs: undefined, maxOutputBytes: 4096, pipelining: 1 })
  })

  it('pipelining comes from the file', () => {
    expect(parse(`shadow: { pipelining: 1 }\n${MODELS}`).shadow.pipelining).toBe(1)
    expect(parse(`shadow: { pipelining: 64 }\n${MODELS}`).shadow.pipelining).toBe(64)
  })

  it.each([0, 65, 2.5])('pipelining %s is refused naming the file and shadow.pipelining', (n) => {
    expect(() => parse(`shadow: { pipelining: ${n} }\n${MODELS}`)).toThrow(/^gw\.yaml: shadow\.pipelining: /)
  })
})
