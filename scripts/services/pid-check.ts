// Whether a pid from a pid file is still the process we started: running (a
// zombie counts as gone), with `marker` in its command line and, when given,
// `cwd` as its working folder, so a recycled pid is never signalled.
import { readFileSync, readlinkSync, realpathSync } from 'node:fs'

export function runningWith (pid: number, marker: string, cwd?: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    if (/^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3))) return false
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker)) return false
    return cwd === undefined || readlinkSync(`/proc/${pid}/cwd`) === realpathSync(cwd)
  } catch {
    return false
  }
}
