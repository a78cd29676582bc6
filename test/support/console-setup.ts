// The console's browser tests: the release harness's stable fraud model and
// canary (with its fault knobs), one gateway with an admin and a read token,
// and the console's address on its admin listener.
import { startSetup, TOKEN, type ReleaseSetup } from '../integration/release-harness.js'
import type { StartModelOptions } from '../../scripts/processes/model-process.js'

export const ADMIN_TOKEN = TOKEN
export const READ_TOKEN = 'console-read-token-abcdefghij'

export async function startConsoleSetup (canary: Partial<StartModelOptions> = {}): Promise<ReleaseSetup & { consoleUrl: string }> {
  const s = await startSetup(canary, 0, { tokens: [{ name: 'viewer', token: READ_TOKEN, role: 'read' }] })
  return { ...s, consoleUrl: `${s.gw.adminUrl}/console/` }
}
