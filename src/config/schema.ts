import { z } from 'zod';

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'must be a 0x-prefixed 20-byte hex address');
const httpUrl = z.string().regex(/^https?:\/\/\S+$/, 'must be an http:// or https:// URL');
const wsUrl = z.string().regex(/^wss?:\/\/\S+$/, 'must be a ws:// or wss:// URL');
const positiveInt = z.number().int().positive();
/** A token bucket: `capacity` requests at once, `refillPerSecond` sustained. */
const bucket = z.strictObject({ capacity: positiveInt, refillPerSecond: z.number().positive() });

/** One chain entry of the config file: overrides the preset's entry with the same chainId, or adds a chain. */
export const chainConfigSchema = z.strictObject({
  chainId: positiveInt,
  name: z.string().min(1).optional(),
  enabled: z.boolean().optional(),
  rpcUrls: z.array(httpUrl).optional(),
  wsUrls: z.array(wsUrl).optional(),
  core: address.optional(),
  comm: address.optional(),
  signingComm: address.optional(),
  startBlock: z.number().int().nonnegative().optional(),
  npipBlock: z.number().int().nonnegative().optional(),
  finalityDepth: z.number().int().nonnegative().max(10_000).optional(),
  blockTimeMs: positiveInt.optional(),
  maxBlockRange: positiveInt.optional(),
});

/** The node's config file (YAML or JSON). Every key is optional: the defaults run the embedded node. */
export const configFileSchema = z.strictObject({
  network: z.enum(['local', 'testnet', 'mainnet']).optional(),
  host: z.string().min(1).optional(),
  port: z.number().int().min(0).max(65535).optional(),
  publicUrl: httpUrl.optional(),
  dataDir: z.string().min(1).optional(),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional(),
  database: z
    .strictObject({
      url: z
        .string()
        .regex(
          /^postgres(ql)?:\/\/\S+$/,
          'must be a postgres:// URL (omit it to use the embedded SQLite store)',
        )
        .optional(),
      poolSize: z.number().int().min(1).max(200).optional(),
      preparedStatements: z.boolean().optional(),
    })
    .optional(),
  redis: z
    .strictObject({
      url: z
        .string()
        .regex(/^rediss?:\/\/\S+$/, 'must be a redis:// URL')
        .optional(),
    })
    .optional(),
  coreChainId: positiveInt.optional(),
  chains: z.array(chainConfigSchema).optional(),
  indexer: z.strictObject({ enabled: z.boolean().optional() }).optional(),
  ipfs: z
    .strictObject({
      gateways: z.array(httpUrl).optional(),
      timeoutMs: positiveInt.optional(),
    })
    .optional(),
  subgraph: z
    .strictObject({
      url: httpUrl.optional(),
      timeoutMs: positiveInt.optional(),
    })
    .optional(),
  api: z
    .strictObject({
      maxPageSize: z.number().int().min(1).max(1000).optional(),
      bodyLimitBytes: z
        .number()
        .int()
        .min(1024)
        .max(50 * 1024 * 1024)
        .optional(),
      corsOrigins: z.array(z.string()).optional(),
      // Behind a reverse proxy: whose X-Forwarded-For to believe (true: any; or the proxies' addresses/CIDRs).
      trustProxy: z.union([z.boolean(), z.array(z.string().min(1))]).optional(),
      // Who may register a `mode=delivery` socket: "any", or addresses/CIDRs (default: loopback and private networks).
      deliveryNodes: z.union([z.literal('any'), z.array(z.string().min(1))]).optional(),
    })
    .optional(),
  admission: z
    .strictObject({
      maxIdentityBytes: z
        .number()
        .int()
        .min(1024)
        .max(10 * 1024 * 1024)
        .optional(),
      perIp: bucket.nullable().optional(),
      perChannel: bucket.nullable().optional(),
    })
    .optional(),
});

export type ConfigFile = z.infer<typeof configFileSchema>;
