// One spelling of the CLI: `npx model-gateway …` runs in a clone after install
// and build (package.json's bin), every command's --help says it, and the README
// and docs use it for every command they show.
import { spawnSync } from 'node:child_process'
import { readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { CLI, REPO } from './pipeline-harness.js'

const COMMANDS = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' }).stdout
  .split('\n').map(l => /^ {2}([a-z-]+) +/.exec(l)?.[1]).filter((c): c is string => c !== undefined)

const DOCS = ['README.md', 'scorer-sdk/README.md', ...readdirSync(join(REPO, 'docs')).filter(f => f.endsWith('.md')).map(f => `docs/${f}`)]

describe('npx model-gateway', () => {
  // npx runs the root package's bin itself, so a bin without the x bit (tsc
  // writes files 0644) fails every documented command with "Permission denied".
  it('the build leaves the package\'s bin executable', () => {
    const bin = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin['model-gateway']!
    expect((statSync(join(REPO, bin)).mode & 0o111).toString(8)).toBe('111')
  })

  it('runs the package\'s bin from the repository', () => {
    const bin = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin['model-gateway']!
    expect(readFileSync(join(REPO, bin), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true)
    const r = spawnSync('npx', ['model-gateway', '--help'], { cwd: REPO, encoding: 'utf8', timeout: 60_000, env: { ...process.env, npm_config_update_notifier: 'false' } })
    expect(r.status).toBe(0)
    expect(r.stdout.split('\n')[0]).toBe('usage: npx model-gateway <command> [options]')
  }, 70_000)

  it('every command\'s --help starts with "usage: npx model-gateway <command>"', () => {
    expect(COMMANDS.length).toBeGreaterThanOrEqual(23)
    for (const cmd of COMMANDS.filter(c => c !== 'serve')) {
      const r = spawnSync(process.execPath, [CLI, cmd, '--help'], { encoding: 'utf8' })
      expect({ cmd, status: r.status, usage: r.stdout.split('\n')[0]!.startsWith(`usage: npx model-gateway ${cmd}`) }).toEqual({ cmd, status: 0, usage: true })
    }
  }, 120_000)

  it('the README and docs spell every command they show as npx model-gateway, never node dist/…', () => {
    const names = COMMANDS.join('|')
    const bare = new RegExp(`(^|\\$ |&& |\`)model-gateway (${names})\\b(?!:)`, 'gm')
    const wrong: string[] = []
    for (const file of DOCS) {
      const text = readFileSync(join(REPO, file), 'utf8')
      for (const line of text.split('\n')) {
        if (line.includes('node dist/gateway/cli/main.js') || line.includes('node dist/gateway/main.js')) wrong.push(`${file}: ${line.trim()}`)
        if (bare.test(line)) wrong.push(`${file}: ${line.trim()}`)
        bare.lastIndex = 0
      }
    }
    expect(wrong).toEqual([])
  })
})
