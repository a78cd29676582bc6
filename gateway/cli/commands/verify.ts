/** `model-gateway verify <model> <version> --golden FILE`: golden requests to every replica; the result gates traffic. */
import { readFile } from 'node:fs/promises'
import { adminCommand, table, UsageError, type CommandContext } from '../admin-command.js'
import type { VerificationRecord } from '../../state/routing-state.js'
import type { VerifyRequestBody, VerifyResponse } from '../admin-client.js'
import { GoldenError, goldenCases, parseGoldenText } from '../../verify/golden.js'

/** Exit code of a verification that ran and failed (1 is for errors, 2 for usage). */
export const EXIT_VERIFICATION_FAILED = 3

function number (flags: Record<string, unknown>, name: string, min: number, max: number): number | undefined {
  const v = flags[name]
  if (v === undefined) return undefined
  const n = Number(v)
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n) || n < min || n > max) throw new UsageError(`--${name} must be a number from ${min} to ${max}, got "${String(v)}"`)
  return n
}

function report (ctx: CommandContext, res: VerifyResponse): VerifyResponse {
  const v = res.verification
  const [model, version] = ctx.args as [string, string]
  const what = v.suites === undefined ? `${v.goldenRequests} golden requests` : `suites ${v.suites.join(', ')}: ${v.goldenRequests} golden requests`
  ctx.out(`${model} ${version}: verification ${v.passed ? 'PASSED' : 'FAILED'} (${what} x ${v.replicas.length + (v.discovered?.length ?? 0)} replicas, compared with ${v.baseline ?? 'no stable version'}); revision ${res.revision}`)
  const name = (c: VerificationRecord['checks'][number]): string => c.suite === undefined ? c.name : `${c.suite}/${c.part ?? ''}/${c.name}`
  for (const l of table(['CHECK', 'VERDICT', 'DETAIL'], v.checks.map(c => [name(c), c.passed ? 'pass' : 'FAIL', c.detail]))) ctx.out(l)
  return res
}

export default adminCommand('verify', {
  summary: 'send a golden set to every replica of a version and store the verdict (gates canary/set-weights/switch)',
  usage: '<model> <version> (--golden FILE | --suite NAME...)',
  help: [
    '',
    'FILE is NDJSON: one OIP infer request per line, optionally with "expected": {"<output>": [numbers]} and "tolerance": <abs>.',
    'Lines without "expected" are compared with the stable version\'s answers. Checks: every replica answers, metadata',
    'compatible with the stable version, outputs within tolerance, p99 latency within budget, zero errors.',
    'Exit code 0: passed; 3: ran and failed.',
    '',
    '  --golden FILE          a golden set',
    '  --suite NAME           instead of --golden: the model\'s named suite(s) from the config (golden files with their own',
    '                         tolerances, and/or a replay of recorded traffic); repeat for several',
    '  --tolerance X          absolute tolerance of lines without their own (default 1e-6)',
    '  --min-agreement X      share (0..1) of answers within tolerance of the stable version\'s (default 0.99)',
    '  --latency-ratio X      replica p99 may be at most stable p99 x X + slack (default 2)',
    '  --latency-slack-ms X   (default 20)',
    '  --rounds N             times each request goes to each replica (default 3)'
  ],
  options: {
    golden: { type: 'string' },
    suite: { type: 'string', multiple: true },
    tolerance: { type: 'string' },
    'min-agreement': { type: 'string' },
    'latency-ratio': { type: 'string' },
    'latency-slack-ms': { type: 'string' },
    rounds: { type: 'string' }
  },
  minArgs: 2,
  maxArgs: 2,
  async run (ctx) {
    const [model, version] = ctx.args as [string, string]
    const file = ctx.flags.golden
    const suites = (ctx.flags as Record<string, unknown>).suite as string[] | undefined
    if ((typeof file === 'string') === (suites !== undefined)) throw new UsageError('give --golden FILE or --suite NAME (not both)')
    if (suites !== undefined) return report(ctx, await ctx.client.verify(model, version, { suites }))
    if (typeof file !== 'string') throw new UsageError('--golden FILE is required')
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (err) {
      throw new UsageError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`)
    }
    let golden: unknown[]
    try {
      golden = parseGoldenText(text, file)
      goldenCases(golden, file)
    } catch (err) {
      if (err instanceof GoldenError) throw new UsageError(err.message)
      throw err
    }
    const body: VerifyRequestBody = { golden }
    const opt = (key: keyof Omit<VerifyRequestBody, 'golden' | 'suites'>, flag: string, min: number, max: number): void => {
      const n = number(ctx.flags, flag, min, max)
      if (n !== undefined) body[key] = n
    }
    opt('tolerance', 'tolerance', 0, Number.MAX_VALUE)
    opt('minAgreement', 'min-agreement', 0, 1)
    opt('latencyRatio', 'latency-ratio', 1, 100)
    opt('latencySlackMs', 'latency-slack-ms', 0, 60_000)
    opt('rounds', 'rounds', 1, 20)
    if (body.rounds !== undefined && !Number.isInteger(body.rounds)) throw new UsageError('--rounds must be an integer')
    return report(ctx, await ctx.client.verify(model, version, body))
  },
  exitCode: (res) => (res as VerifyResponse).verification.passed ? 0 : EXIT_VERIFICATION_FAILED
})
