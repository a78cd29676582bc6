import { afterAll, beforeAll } from 'vitest'
import { startModel, type ModelProcess } from '../../scripts/processes/model-process.js'
import { startGatewayProcess, type GatewayProcess } from './gateway-process.js'

// The smallest real setup for a data-plane behaviour: one fraud model process
// (v1) behind a gateway process, health checks off so nothing but the request
// under test reaches the model. Registers its own beforeAll/afterAll.

export interface OneModelGateway {
  readonly model: ModelProcess
  readonly gw: GatewayProcess
}

export function useOneModelGateway (modelConfig: Record<string, unknown> = {}, gatewayConfig: Record<string, unknown> = {}): OneModelGateway {
  const state: { model?: ModelProcess, gw?: GatewayProcess } = {}
  beforeAll(async () => {
    state.model = await startModel({ version: 'v1' })
    state.gw = await startGatewayProcess({
      ...gatewayConfig,
      models: {
        fraud: {
          versions: { v1: { replicas: [state.model.url] } },
          release: { strategy: 'canary', stable: 'v1' },
          healthCheck: { enabled: false },
          ...modelConfig
        }
      }
    })
  })
  afterAll(async () => {
    await state.gw?.stop()
    await state.model?.stop()
  })
  return {
    get model () { return state.model! },
    get gw () { return state.gw! }
  }
}
