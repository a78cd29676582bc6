/**
 * One validation style for the whole admin API: every route declares its
 * params, query string and body as TypeBox schemas (the source of both the
 * runtime check and the handler's types), and the listener compiles them all
 * with strictValidator, so a bad input is answered GW_INVALID naming the field.
 * Query strings take any other key (a link may carry more); bodies reject
 * unknown keys (additionalProperties: false), they are not dropped.
 */
import { Type, type TSchema } from '@sinclair/typebox'
import { TypeCompiler } from '@sinclair/typebox/compiler'
import { errors } from '../errors.js'
import { NAME_PATTERN } from '../state/names.js'

/** Compiles a TypeBox schema into a fastify validator that rejects (rather than strips) unknown keys. */
export function strictValidator (schema: TSchema, part: string): (data: unknown) => { value?: unknown, error?: Error } {
  const check = TypeCompiler.Compile(schema)
  return (data) => {
    // POST promote/rollback/switch may come without a body.
    const value = data === undefined || data === null ? {} : data
    if (check.Check(value)) return { value }
    const first = check.Errors(value).First()
    const where = first === undefined || first.path === '' ? part : `${part}${first.path.replace(/\//g, '.')}`
    const msg = first === undefined ? 'is invalid' : first.message.startsWith('Unexpected property') ? 'is not a known field' : first.message.toLowerCase()
    return { error: errors.invalid(`${where}: ${msg}`) }
  }
}

/** Path parameters of the routes under /admin/models/:model. */
export const ModelParams = Type.Object({ model: Type.String() })
export const VersionParams = Type.Object({ model: Type.String(), version: Type.String() })
/** A version or model name in a body (the state's name pattern). */
export const Name = Type.String({ pattern: NAME_PATTERN })
/** A query-string value: checked further by the route, whose message says what it expects. */
export const QueryValue = Type.Optional(Type.String())
