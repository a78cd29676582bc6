// Runs after every test file (vitest setupFiles): each service the launcher
// runs must still be alive. A file that leaves Redis, Kafka or ClickHouse
// stopped, or anything outside the suite that kills one, would otherwise fail
// every later file that needs it, far from the cause. This fails the file it
// happened in, naming the service, and starts it again so the next file finds
// it answering. The check is a pid and a TCP connect (milliseconds); the
// clients that restart and probe a service load only when one is lost.
import { afterAll, expect } from 'vitest'
import { lostServices } from '../../scripts/services/liveness.js'

/** Room for a stop that ends in SIGKILL plus a Kafka start on a loaded machine. */
const RESTORE_TIMEOUT_MS = 150_000

afterAll(async () => {
  const lost = await lostServices()
  if (lost.length === 0) return
  const { restoreServices } = await import('../../scripts/services/control.js')
  // A service that answers the full probe after all (a refused connect under load) needs nothing.
  const started = await restoreServices()
  if (started.length === 0) return
  const file = expect.getState().testPath ?? 'this test file'
  throw new Error(`${started.join(' and ')} stopped answering during ${file}; started again for the next file (see .services/logs)`)
}, RESTORE_TIMEOUT_MS)
