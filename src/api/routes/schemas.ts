/**
 * JSON schemas shared by the Push routes. Fastify validates params, query and body with them (coercing query
 * strings to numbers and booleans; a JSON body is not coerced, see server.ts) and the error handler turns a failure
 * into `PUSH_ERR_VALIDATION` naming the field.
 * Extra query keys are allowed: the SDK sends some this node ignores (`sort`, `order`, `raw`…).
 */

/**
 * A `pattern` for strings that may reach a store column unparsed: Postgres text cannot hold U+0000, so such a string
 * would fail the query (500) instead of being refused here (400).
 */
export const NO_NUL = '^[^\\u0000]*$';

export const caipParam = {
  type: 'string',
  minLength: 1,
  maxLength: 256,
  description: 'CAIP-10 account: eip155:<chainId>:0x<address> (a bare 0x… or eip155:0x… is accepted too)',
} as const;

export const pageQuery = {
  page: {
    type: 'integer',
    minimum: 1,
    // Beyond it, offsets stop being exact integers (and no feed is that long): refused rather than read as page 1.
    maximum: 1_000_000,
    default: 1,
    description: '1-based page number (at most 1,000,000; use `before` to page deep)',
  },
  limit: {
    type: 'integer',
    minimum: 1,
    default: 10,
    description: 'page size; values above the node’s api.maxPageSize (default 100) are capped to it',
  },
} as const;

export function params<K extends string>(...names: K[]) {
  return {
    type: 'object',
    required: names,
    properties: Object.fromEntries(names.map((n) => [n, caipParam])) as Record<K, typeof caipParam>,
  } as const;
}

export const errorResponse = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: {
        info: { type: 'string' },
        code: { type: 'string' },
        field: { type: 'string' },
        hint: { type: 'string' },
      },
    },
  },
} as const;
