import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testTempDirs } from '../../test/support/temp-dir.js';
import { PushError } from '../errors.js';
import { loadConfig } from './load.js';

const tempDirs = testTempDirs('push-cfg-');
afterAll(() => tempDirs.removeAll());

function tempFile(name: string, text: string): string {
  const dir = tempDirs.make();
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function configError(fn: () => unknown): PushError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PushError);
    return err as PushError;
  }
  throw new Error('expected a config error');
}

describe('loadConfig', () => {
  it('defaults to the embedded local node on 127.0.0.1:4000 with no chain RPCs', () => {
    const cfg = loadConfig({ env: {}, cwd: '/tmp' });
    expect(cfg).toMatchObject({ network: 'local', host: '127.0.0.1', port: 4000, coreChainId: 11155111 });
    expect(cfg.dataDir).toBe('/tmp/.push-node');
    expect(cfg.dataDirExplicit).toBe(false);
    expect(cfg.database.url).toBeUndefined();
    expect(cfg.chains).toEqual([]);
    expect(cfg.disabledChains.map((c) => c.chainId)).toEqual([11155111, 80002]);
    expect(cfg.disabledChains[0]!.reason).toContain('PUSH_NODE_RPC_11155111');
  });

  it('admits delivery sockets from private networks by default; a bad api.deliveryNodes entry fails the load', () => {
    expect(loadConfig({ env: {}, cwd: '/tmp' }).api.deliveryNodes).toContain('127.0.0.0/8');
    expect(
      loadConfig({ env: {}, cwd: '/tmp', overrides: { api: { deliveryNodes: 'any' } } }).api.deliveryNodes,
    ).toBe('any');
    const err = configError(() =>
      loadConfig({ env: {}, cwd: '/tmp', overrides: { api: { deliveryNodes: ['10.0.0.0/40'] } } }),
    );
    expect(err.code).toBe('PUSH_ERR_CONFIG_INVALID');
    expect(err.field).toBe('api.deliveryNodes');
  });

  it('applies env overrides and enables chains that get RPC URLs', () => {
    const cfg = loadConfig({
      env: {
        PUSH_NODE_PORT: '4100',
        PUSH_NODE_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/test',
        PUSH_NODE_DATA_DIR: '/var/lib/push',
        PUSH_NODE_RPC_11155111: 'http://127.0.0.1:8545, http://127.0.0.1:8546',
        PUSH_NODE_WS_11155111: 'ws://127.0.0.1:8545',
      },
    });
    expect(cfg.port).toBe(4100);
    expect(cfg.database.url).toBe('postgres://postgres@127.0.0.1:5432/test');
    expect(cfg.dataDir).toBe('/var/lib/push');
    expect(cfg.dataDirExplicit).toBe(true);
    expect(cfg.chains).toHaveLength(1);
    expect(cfg.chains[0]).toMatchObject({
      chainId: 11155111,
      rpcUrls: ['http://127.0.0.1:8545', 'http://127.0.0.1:8546'],
      wsUrls: ['ws://127.0.0.1:8545'],
      core: '0x5ab1520e2bd519bdab2e1347eee81c00a77f4946',
      comm: '0x9ddcd7ed7151afab43044e4d694fa064742c428c',
    });
  });

  it('reads YAML files and merges chain entries with the preset by chainId', () => {
    const file = tempFile(
      'node.yaml',
      'network: mainnet\nport: 5000\nchains:\n  - chainId: 137\n    rpcUrls: [https://polygon.example]\n    finalityDepth: 300\n',
    );
    const cfg = loadConfig({ file, env: {} });
    expect(cfg.network).toBe('mainnet');
    expect(cfg.coreChainId).toBe(1);
    expect(cfg.chains).toEqual([
      expect.objectContaining({
        chainId: 137,
        startBlock: 23028042,
        npipBlock: 33179132,
        finalityDepth: 300,
      }),
    ]);
  });

  it('names the field and the allowed values of a bad setting', () => {
    const file = tempFile('bad.json', JSON.stringify({ network: 'moon' }));
    const err = configError(() => loadConfig({ file, env: {} }));
    expect(err.code).toBe('PUSH_ERR_CONFIG_INVALID');
    expect(err.field).toBe('network');
    expect(err.message).toContain('"local", "testnet", "mainnet"');
  });

  it('rejects unknown keys, wrong types and impossible values', () => {
    expect(
      configError(() => loadConfig({ file: tempFile('a.json', '{"prot": 1}'), env: {} })).message,
    ).toContain('unknown key "prot"');
    const wrongType = configError(() => loadConfig({ file: tempFile('b.json', '{"port": "x"}'), env: {} }));
    expect(wrongType.field).toBe('port');
    const impossible = configError(() =>
      loadConfig({ file: tempFile('c.json', '{"port": 70000}'), env: {} }),
    );
    expect(impossible.field).toBe('port');
    const url = configError(() => loadConfig({ env: { PUSH_NODE_DATABASE_URL: 'mysql://x' } }));
    expect(url.field).toBe('database.url');
    expect(url.message).toContain('environment');
    expect(configError(() => loadConfig({ env: { PUSH_NODE_PORT: 'abc' } })).field).toBe('PUSH_NODE_PORT');
  });

  it('reports unreadable and unparsable files with PUSH_ERR_CONFIG_FILE', () => {
    expect(configError(() => loadConfig({ file: '/nonexistent/x.yaml', env: {} })).code).toBe(
      'PUSH_ERR_CONFIG_FILE',
    );
    expect(configError(() => loadConfig({ file: tempFile('x.yaml', 'a: [1, 2'), env: {} })).code).toBe(
      'PUSH_ERR_CONFIG_FILE',
    );
  });

  it('requires comm and startBlock for chains outside the preset', () => {
    const file = tempFile('c.yaml', 'chains:\n  - chainId: 999\n    rpcUrls: [http://x.example]\n');
    const err = configError(() => loadConfig({ file, env: {} }));
    expect(err.field).toBe('chains[2]');
  });
});

describe('unknown keys', () => {
  it('are named once on one line, with the closest known key', () => {
    const err = configError(() => loadConfig({ file: tempFile('n.yaml', 'netwrk: local\n'), env: {} }));
    expect(err.field).toBeUndefined();
    const line = err.toLine();
    expect(line).not.toContain('(root)');
    expect(line.split('"netwrk"')).toHaveLength(2);
    expect(line).toContain('unknown key "netwrk" (did you mean "network"?)');
    expect(line).not.toContain('fix the value');
    expect(line.split('\n')).toHaveLength(1);
  });

  it('suggest within nested objects and chain entries, and nothing when no key is close', () => {
    const nested = configError(() =>
      loadConfig({ file: tempFile('d.yaml', 'database:\n  urll: postgres://x\n'), env: {} }),
    );
    expect(nested.message).toContain('unknown key "database.urll" (did you mean "database.url"?)');
    const chain = configError(() =>
      loadConfig({
        file: tempFile('c.yaml', 'chains:\n  - chainId: 1\n    rpcUrl: [http://x.example]\n'),
        env: {},
      }),
    );
    expect(chain.message).toContain('unknown key "chains[0].rpcUrl" (did you mean "chains[0].rpcUrls"?)');
    const far = configError(() => loadConfig({ file: tempFile('f.yaml', 'colour: blue\n'), env: {} }));
    expect(far.message).toContain('unknown key "colour"');
    expect(far.message).not.toContain('did you mean');
    // A misspelt required key is reported as the misspelling, not as the missing key.
    const bucket = configError(() =>
      loadConfig({
        env: {},
        overrides: { admission: { perIp: { capacty: 5, refillPerSecond: 1 } } } as never,
      }),
    );
    expect(bucket.message).toContain('"admission.perIp.capacty" (did you mean "admission.perIp.capacity"?)');
  });
});

describe('publicUrlExplicit', () => {
  it('tells a derived publicUrl from one the operator set', () => {
    expect(loadConfig({ env: {}, cwd: '/tmp' }).publicUrlExplicit).toBe(false);
    const set = loadConfig({ env: { PUSH_NODE_PUBLIC_URL: 'https://push.example' }, cwd: '/tmp' });
    expect(set).toMatchObject({ publicUrl: 'https://push.example', publicUrlExplicit: true });
  });
});

describe('admission and proxy settings', () => {
  it('keeps what the operator set (null turns a rate limit off) and leaves the rest to admission', () => {
    const cfg = loadConfig({
      env: {},
      cwd: '/tmp',
      overrides: {
        admission: { perIp: null, perChannel: { capacity: 5, refillPerSecond: 1 } },
        api: { trustProxy: ['10.0.0.0/8'] },
      },
    });
    expect(cfg.admission).toEqual({ perIp: null, perChannel: { capacity: 5, refillPerSecond: 1 } });
    expect(cfg.api.trustProxy).toEqual(['10.0.0.0/8']);
    const defaults = loadConfig({ env: {}, cwd: '/tmp' });
    expect(defaults.admission).toEqual({});
    expect(defaults.api.trustProxy).toBe(false);
  });

  it('refuses a bucket without its refill rate, naming the field', () => {
    expect(() =>
      loadConfig({ env: {}, cwd: '/tmp', overrides: { admission: { perIp: { capacity: 5 } as never } } }),
    ).toThrow(/admission\.perIp/);
  });
});

describe('publicUrl default', () => {
  it('is a valid URL when the node listens on an IPv6 address', () => {
    // schema.ts accepts any non-empty host; the default publicUrl is `http://${host}:${port}`, which for '::1' or
    // '::' is not a URL (no brackets). publicUrl builds channel icon links (src/protocol/icon.ts).
    for (const host of ['::1', '::']) {
      const cfg = loadConfig({ env: { PUSH_NODE_HOST: host }, cwd: '/tmp' });
      expect(() => new URL(cfg.publicUrl), `${host} → ${cfg.publicUrl}`).not.toThrow();
    }
  });
});
