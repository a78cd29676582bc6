import { describe, expect, it } from 'vitest'
import { forDatabase, paramValue, parseNamedQueries } from '../../gateway/sink/named-queries.js'
import { formatRows } from '../../gateway/cli/commands/query.js'

const FILE = `-- header comment, not a query

-- name: first
-- What it answers,
-- on two lines.
SELECT a FROM model_gateway.t WHERE m = {model:String} AND x >= {since:UInt32} AND m != {model:String};

-- A comment between queries belongs to none.

-- name: second
-- No parameters.
SELECT 1 AS one
`

describe('named queries', () => {
  it('splits the file into name, description, SQL and placeholders in order of first use', () => {
    expect(parseNamedQueries(FILE)).toEqual([
      { name: 'first', description: 'What it answers, on two lines.', sql: 'SELECT a FROM model_gateway.t WHERE m = {model:String} AND x >= {since:UInt32} AND m != {model:String}', params: [{ name: 'model', type: 'String' }, { name: 'since', type: 'UInt32' }] },
      { name: 'second', description: 'No parameters.', sql: 'SELECT 1 AS one', params: [] }
    ])
  })

  it('points the SQL at another database', () => {
    expect(forDatabase('SELECT 1 FROM model_gateway.t, model_gateway.u', 'other')).toBe('SELECT 1 FROM other.t, other.u')
  })

  it('types command-line values by their placeholder and refuses a non-number for a numeric one', () => {
    expect(paramValue('model', 'String', '42')).toBe('42')
    expect(paramValue('since', 'UInt32', '1700000000')).toBe(1700000000)
    expect(() => paramValue('since', 'UInt32', '1h')).toThrow('--param since=1h: UInt32 needs a number')
  })

  it('prints rows as a table with numbers right-aligned', () => {
    expect(formatRows([{ version: 'v1', n: '400', p: 0.5 }, { version: 'v10', n: '8', p: 12.25 }])).toBe([
      'version    n      p',
      '-------  ---  -----',
      'v1       400    0.5',
      'v10        8  12.25',
      ''
    ].join('\n'))
    expect(formatRows([])).toBe('(no rows)\n')
    expect(formatRows([{ version: '', n: '3' }])).toBe("version  n\n-------  -\n''       3\n")
  })
})
