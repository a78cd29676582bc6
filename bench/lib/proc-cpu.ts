/**
 * CPU time of a process and its descendants from /proc (Linux), so a proxy's
 * cost per request can be measured from outside it. nginx needs the tree: its
 * master forks the worker that does the work.
 */
import { execFile } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** Kernel clock ticks per second; /proc/<pid>/stat counts CPU time in these. */
export async function clockTicksPerSecond (): Promise<number> {
  try {
    const { stdout } = await run('getconf', ['CLK_TCK'])
    const n = Number(stdout.trim())
    return Number.isInteger(n) && n > 0 ? n : 100
  } catch {
    return 100
  }
}

interface StatLine { pid: number, ppid: number, ticks: number }

/** Fields after the command name (which may contain spaces and parentheses), see proc(5). */
function parseStat (text: string): StatLine | undefined {
  const close = text.lastIndexOf(')')
  if (close < 0) return undefined
  const pid = Number(text.slice(0, text.indexOf(' ')))
  const rest = text.slice(close + 2).split(' ')
  // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  const ppid = Number(rest[1])
  const utime = Number(rest[11])
  const stime = Number(rest[12])
  return { pid, ppid, ticks: utime + stime }
}

async function readStat (pid: number): Promise<StatLine | undefined> {
  try {
    return parseStat(await readFile(`/proc/${pid}/stat`, 'utf8'))
  } catch {
    return undefined
  }
}

/** utime+stime in ticks, summed over `pid` and every live descendant. */
export async function treeCpuTicks (pid: number): Promise<number> {
  const entries = await readdir('/proc')
  const stats = await Promise.all(entries.filter((e) => /^\d+$/.test(e)).map((e) => readStat(Number(e))))
  const children = new Map<number, StatLine[]>()
  let root: StatLine | undefined
  for (const s of stats) {
    if (s === undefined) continue
    if (s.pid === pid) root = s
    const list = children.get(s.ppid)
    if (list === undefined) children.set(s.ppid, [s])
    else list.push(s)
  }
  if (root === undefined) throw new Error(`process ${pid} is gone`)
  let total = 0
  const queue = [root]
  while (queue.length > 0) {
    const s = queue.pop()!
    total += s.ticks
    queue.push(...(children.get(s.pid) ?? []))
  }
  return total
}
