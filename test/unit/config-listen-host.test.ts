import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../gateway/config/load.js'
import { readEnv } from '../../gateway/config/env.js'

// The container image sets GATEWAY_HOST / GATEWAY_ADMIN_HOST to 0.0.0.0 so a
// published port reaches the gateway (issue 12); a host in the file still wins.

const MODELS = 'models:\n  m:\n    versions:\n      v1: { replicas: [http://127.0.0.1:9000] }\n    release: { strategy: canary, stable: v1 }\n'
const env = (vars: Record<string, string>): ReturnType<typeof readEnv> => readEnv(vars)

describe('listen addresses', () => {
  it('default to 127.0.0.1 when neither the file nor the environment sets them', () => {
    const c = parseConfig(MODELS, 'gw.yaml', env({}))
    expect([c.host, c.admin.host]).toEqual(['127.0.0.1', '127.0.0.1'])
  })

  it('come from GATEWAY_HOST and GATEWAY_ADMIN_HOST when the file sets none', () => {
    const c = parseConfig(MODELS, 'gw.yaml', env({ GATEWAY_HOST: '0.0.0.0', GATEWAY_ADMIN_HOST: '::' }))
    expect([c.host, c.admin.host]).toEqual(['0.0.0.0', '::'])
  })

  it('come from the file when it sets them, whatever the environment says', () => {
    const c = parseConfig(`gateway: { host: 10.0.0.5 }\nadmin: { host: 127.0.0.2 }\n${MODELS}`, 'gw.yaml', env({ GATEWAY_HOST: '0.0.0.0', GATEWAY_ADMIN_HOST: '0.0.0.0' }))
    expect([c.host, c.admin.host]).toEqual(['10.0.0.5', '127.0.0.2'])
  })
})
