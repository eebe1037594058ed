import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Hex } from 'viem';
import YAML from 'yaml';
import { z } from 'zod';
import { pushError } from '../errors.js';
import { createAddressMatcher, PRIVATE_NETWORKS } from './address-list.js';
import type { ChainConfig, NodeConfig } from './config.js';
import { PRESETS } from './presets.js';
import { type ConfigFile, configFileSchema } from './schema.js';

export const DEFAULT_PORT = 4000;
export const DEFAULT_DATA_DIR = '.push-node';

/** Levenshtein distance, for "did you mean" on a misspelt config key. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The object schema found at `path` inside the config schema (through optionals, nullables and arrays), if any. */
function objectSchemaAt(path: readonly PropertyKey[]): z.ZodObject | undefined {
  let schema: z.ZodType = configFileSchema;
  const unwrap = () => {
    while (schema instanceof z.ZodOptional || schema instanceof z.ZodNullable)
      schema = schema.unwrap() as z.ZodType;
  };
  for (const p of path) {
    unwrap();
    if (typeof p === 'number' && schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
    else if (typeof p === 'string' && schema instanceof z.ZodObject && p in schema.shape)
      schema = schema.shape[p] as z.ZodType;
    else return undefined;
  }
  unwrap();
  return schema instanceof z.ZodObject ? schema : undefined;
}

/** The known key closest to `key` (edit distance at most 2), if there is one. */
function closestKey(key: string, known: string[]): string | undefined {
  let best: { key: string; d: number } | undefined;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d <= 2 && (!best || d < best.d)) best = { key: k, d };
  }
  return best?.key;
}

function describeIssue(issue: z.core.$ZodIssue, source: string): { field?: string; message: string } {
  const field = issue.path
    .map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`))
    .join('')
    .replace(/^\./, '');
  if (issue.code === 'unrecognized_keys') {
    // The key path is in the message; no separate field, so the line does not name it twice.
    const known = Object.keys(objectSchemaAt(issue.path)?.shape ?? {});
    const keys = issue.keys.map((k) => {
      const near = closestKey(k, known);
      const at = field ? `${field}.${k}` : k;
      return `"${at}"${near ? ` (did you mean "${field ? `${field}.${near}` : near}"?)` : ''}`;
    });
    return { message: `${source}: unknown key${keys.length > 1 ? 's' : ''} ${keys.join(', ')}` };
  }
  let message = issue.message;
  if (issue.code === 'invalid_value' && 'values' in issue) {
    message = `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return field ? { field, message: `${source}: ${field} ${message}` } : { message: `${source}: ${message}` };
}

function validate(raw: unknown, source: string): ConfigFile {
  const res = configFileSchema.safeParse(raw);
  if (res.success) return res.data;
  // A misspelt key is the likeliest mistake and often the cause of the other issues (a required key "missing").
  const issues = [...res.error.issues].sort(
    (a, b) => Number(b.code === 'unrecognized_keys') - Number(a.code === 'unrecognized_keys'),
  );
  const first = issues[0]!;
  const { field, message } = describeIssue(first, source);
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem(s))` : '';
  throw pushError('PUSH_ERR_CONFIG_INVALID', message + more, {
    ...(field ? { field } : {}),
    hint:
      first.code === 'unrecognized_keys'
        ? 'correct or remove the key (the keys are listed in README "Configuration")'
        : 'fix the value, or remove the key to use the default (see README "Configuration")',
    details: { issues: issues.map((i) => describeIssue(i, source).message) },
  });
}

function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw pushError(
      'PUSH_ERR_CONFIG_FILE',
      `cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code}`,
      {
        hint: 'check the path given to --config or PUSH_NODE_CONFIG',
        cause: err,
      },
    );
  }
  try {
    return YAML.parse(text) ?? {};
  } catch (err) {
    throw pushError(
      'PUSH_ERR_CONFIG_FILE',
      `config file ${path} is not valid YAML/JSON: ${(err as Error).message.split('\n')[0]}`,
      {
        cause: err,
      },
    );
  }
}

function intFromEnv(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v.trim())) {
    throw pushError('PUSH_ERR_CONFIG_INVALID', `${name}="${v}" must be a whole number`, { field: name });
  }
  return Number(v);
}

function listFromEnv(v: string | undefined): string[] | undefined {
  if (v === undefined || v.trim() === '') return undefined;
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** Environment overrides, validated like the file (so a bad value names its variable). */
function fromEnv(env: NodeJS.ProcessEnv): ConfigFile {
  const raw: Record<string, unknown> = {};
  if (env.PUSH_NODE_NETWORK) raw.network = env.PUSH_NODE_NETWORK;
  if (env.PUSH_NODE_HOST) raw.host = env.PUSH_NODE_HOST;
  const port = intFromEnv(env, 'PUSH_NODE_PORT');
  if (port !== undefined) raw.port = port;
  if (env.PUSH_NODE_PUBLIC_URL) raw.publicUrl = env.PUSH_NODE_PUBLIC_URL;
  if (env.PUSH_NODE_DATA_DIR) raw.dataDir = env.PUSH_NODE_DATA_DIR;
  if (env.PUSH_NODE_LOG_LEVEL) raw.logLevel = env.PUSH_NODE_LOG_LEVEL;
  if (env.PUSH_NODE_DATABASE_URL) raw.database = { url: env.PUSH_NODE_DATABASE_URL };
  if (env.PUSH_NODE_REDIS_URL) raw.redis = { url: env.PUSH_NODE_REDIS_URL };
  const gateways = listFromEnv(env.PUSH_NODE_IPFS_GATEWAYS);
  if (gateways) raw.ipfs = { gateways };
  if (env.PUSH_NODE_SUBGRAPH_URL) raw.subgraph = { url: env.PUSH_NODE_SUBGRAPH_URL };
  const chains: Record<string, unknown>[] = [];
  for (const [name, value] of Object.entries(env)) {
    const m = /^PUSH_NODE_(RPC|WS)_(\d+)$/.exec(name);
    if (!m || !value) continue;
    const chainId = Number(m[2]);
    let entry = chains.find((c) => c.chainId === chainId);
    if (!entry) {
      entry = { chainId };
      chains.push(entry);
    }
    entry[m[1] === 'RPC' ? 'rpcUrls' : 'wsUrls'] = listFromEnv(value);
  }
  if (chains.length) raw.chains = chains;
  return validate(raw, 'environment (PUSH_NODE_*)');
}

/** How a local client reaches a node listening on `host`: the wildcard addresses are not, and IPv6 needs brackets. */
function reachableHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function mergeChains(base: ConfigFile['chains'], over: ConfigFile['chains']): ConfigFile['chains'] {
  const out = new Map<number, NonNullable<ConfigFile['chains']>[number]>();
  for (const c of base ?? []) out.set(c.chainId, { ...c });
  for (const c of over ?? []) out.set(c.chainId, { ...out.get(c.chainId), ...c });
  return [...out.values()];
}

export interface LoadConfigOptions {
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Applied last: used by `push-node devnet` to point the node at the chains it just started. */
  overrides?: ConfigFile;
  cwd?: string;
}

/** Preset ← config file ← environment ← overrides, then validated and resolved into a NodeConfig. */
export function loadConfig(opts: LoadConfigOptions = {}): NodeConfig {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const filePath = opts.file ?? env.PUSH_NODE_CONFIG;
  const file = filePath ? validate(readConfigFile(resolve(cwd, filePath)), `config file ${filePath}`) : {};
  const envCfg = fromEnv(env);
  const over = opts.overrides ? validate(opts.overrides, 'overrides') : {};
  const layers = [file, envCfg, over];
  const pick = <K extends keyof ConfigFile>(k: K): ConfigFile[K] | undefined =>
    layers.reduce<ConfigFile[K] | undefined>((acc, l) => (l[k] !== undefined ? l[k] : acc), undefined);

  const network = pick('network') ?? 'local';
  const preset = PRESETS[network];
  const host = pick('host') ?? '127.0.0.1';
  const port = pick('port') ?? DEFAULT_PORT;
  const dataDirChoice = pick('dataDir');
  const database = { ...file.database, ...envCfg.database, ...over.database };
  const ipfs = { ...file.ipfs, ...envCfg.ipfs, ...over.ipfs };
  const subgraph = { ...file.subgraph, ...envCfg.subgraph, ...over.subgraph };
  const api = { ...file.api, ...envCfg.api, ...over.api };
  const admission = { ...file.admission, ...envCfg.admission, ...over.admission };
  const chainEntries = mergeChains(
    mergeChains(mergeChains(preset.chains, file.chains), envCfg.chains),
    over.chains,
  );

  const chains: ChainConfig[] = [];
  const disabledChains: NodeConfig['disabledChains'] = [];
  for (const [i, c] of (chainEntries ?? []).entries()) {
    const name = c.name ?? `chain-${c.chainId}`;
    if (c.enabled === false) {
      disabledChains.push({ chainId: c.chainId, name, reason: 'disabled in config' });
      continue;
    }
    if (!c.comm || c.startBlock === undefined) {
      throw pushError(
        'PUSH_ERR_CONFIG_INVALID',
        `chain ${c.chainId} is not in the "${network}" preset, so it needs "comm" (Comm contract address) and "startBlock"`,
        { field: `chains[${i}]` },
      );
    }
    if (!c.rpcUrls?.length) {
      disabledChains.push({
        chainId: c.chainId,
        name,
        reason: `no RPC URL: set PUSH_NODE_RPC_${c.chainId} or chains[].rpcUrls`,
      });
      continue;
    }
    chains.push({
      chainId: c.chainId,
      name,
      rpcUrls: c.rpcUrls,
      wsUrls: c.wsUrls ?? [],
      ...(c.core ? { core: c.core.toLowerCase() as Hex } : {}),
      comm: c.comm.toLowerCase() as Hex,
      ...(c.signingComm ? { signingComm: c.signingComm.toLowerCase() as Hex } : {}),
      startBlock: c.startBlock,
      ...(c.npipBlock !== undefined ? { npipBlock: c.npipBlock } : {}),
      finalityDepth: c.finalityDepth ?? 30,
      blockTimeMs: c.blockTimeMs ?? 2000,
      ...(c.maxBlockRange !== undefined ? { maxBlockRange: c.maxBlockRange } : {}),
    });
  }
  const coreChainId = pick('coreChainId') ?? preset.coreChainId;
  const core = chainEntries?.find((c) => c.chainId === coreChainId);
  if (!core?.core) {
    throw pushError(
      'PUSH_ERR_CONFIG_INVALID',
      `the core chain ${coreChainId} has no Core contract address ("core")`,
      {
        field: 'coreChainId',
      },
    );
  }

  return {
    network,
    host,
    port,
    publicUrl: pick('publicUrl') ?? `http://${reachableHost(host)}:${port}`,
    publicUrlExplicit: pick('publicUrl') !== undefined,
    dataDir: resolve(cwd, dataDirChoice ?? DEFAULT_DATA_DIR),
    dataDirExplicit: dataDirChoice !== undefined,
    logLevel: pick('logLevel') ?? 'info',
    database: {
      ...(database.url ? { url: database.url } : {}),
      poolSize: database.poolSize ?? 10,
      preparedStatements: database.preparedStatements ?? true,
    },
    redis: pick('redis')?.url ? { url: pick('redis')!.url! } : {},
    coreChainId,
    chains,
    disabledChains,
    indexer: { enabled: pick('indexer')?.enabled ?? true },
    ipfs: { gateways: ipfs.gateways ?? preset.ipfsGateways, timeoutMs: ipfs.timeoutMs ?? 10_000 },
    subgraph: { ...(subgraph.url ? { url: subgraph.url } : {}), timeoutMs: subgraph.timeoutMs ?? 10_000 },
    api: {
      maxPageSize: api.maxPageSize ?? 100,
      bodyLimitBytes: api.bodyLimitBytes ?? 1024 * 1024,
      corsOrigins: api.corsOrigins ?? ['*'],
      trustProxy: api.trustProxy ?? false,
      deliveryNodes: deliveryNodes(api.deliveryNodes),
    },
    admission: Object.fromEntries(Object.entries(admission).filter(([, v]) => v !== undefined)),
  };
}

/** `api.deliveryNodes`, checked now so that a bad entry fails the start with its name. */
function deliveryNodes(value: 'any' | string[] | undefined): 'any' | string[] {
  const list = value ?? [...PRIVATE_NETWORKS];
  createAddressMatcher(list);
  return list;
}
