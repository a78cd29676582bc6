// Whether a pid from a pid file is still the process we started: running (a
// zombie counts as gone) and with `marker` in its command line, so a recycled
// pid is never signalled.
import { readFileSync } from 'node:fs'

export function runningWith (pid: number, marker: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    if (/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3))) return false
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)
  } catch {
    return false
  }
}
