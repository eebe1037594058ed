/**
 * `push-node devnet` refusing a second devnet on one data dir: two started close together on other ports must not
 * both run (the later one would delete the directory — SQLite store, IPFS files, devnet.json — the other one's node
 * uses). The data dir's lock file, taken before anything else, decides.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findFreePort } from '../../src/devnet/free-port.js';
import { killStrayClis, spawnCli } from '../support/cli.js';
import { testTempDirs } from '../support/temp-dir.js';

const tempDirs = testTempDirs('push-cli-datadir-');
afterEach(() => {
  killStrayClis();
  tempDirs.removeAll();
});

/** 'up' once the devnet printed its summary, else its exit code. */
function outcome(child: ChildProcess): Promise<{ result: 'up' | number | null; stderr: string }> {
  return new Promise((done) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('devnet is up')) done({ result: 'up', stderr: err });
    });
    child.once('exit', (c) => done({ result: c, stderr: err }));
  });
}

describe('push-node devnet: two devnets on one data dir', { timeout: 180_000 }, () => {
  it('never has two live devnets on the same --data-dir (other ports each)', async () => {
    const dataDir = tempDirs.make();
    const start = async (seed: boolean) => {
      const p = [await findFreePort(), await findFreePort(), await findFreePort()];
      return spawnCli(
        [
          'devnet',
          ...(seed ? [] : ['--no-seed']),
          '--data-dir',
          dataDir,
          '--port',
          String(p[0]),
          '--chain-ports',
          `${p[1]},${p[2]}`,
        ],
        { PUSH_NODE_LOG_LEVEL: 'warn' },
        tempDirs.make(),
      );
    };
    const [a, b] = [await start(true), await start(false)];
    const [ra, rb] = await Promise.all([outcome(a), outcome(b)]);
    const record = existsSync(join(dataDir, 'devnet', 'devnet.json'));
    const store = existsSync(join(dataDir, 'devnet', 'node'));
    const both = ra.result === 'up' && rb.result === 'up';
    expect(
      { both, first: ra.result, second: rb.result, record, store },
      'both devnets started on one data dir: the later one deleted the directory the other one is running on',
    ).toMatchObject({ both: false });
  });
});
