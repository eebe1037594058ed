import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { toEventSelector } from 'viem';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../package-root.js';
import { artifactsDir, loadArtifact, loadPushArtifacts } from './artifacts.js';

const SCRIPT = join(packageRoot(), 'scripts', 'build-contracts.js');
const tmp = mkdtempSync(join(tmpdir(), 'push-contracts-'));

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const GOOD = `// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
interface IGreeter { function greet() external view returns (string memory); }
contract Greeter is IGreeter {
    event Greeted(address indexed who);
    function greet() external pure returns (string memory) { return "hi"; }
}
`;

function runScript(args: string[]) {
  return spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', timeout: 60_000 });
}

describe('artifacts', () => {
  it('finds the package root from src/ and loads both Push artifacts with runtime code', async () => {
    expect(existsSync(join(packageRoot(), 'package.json'))).toBe(true);
    const { core, comm } = await loadPushArtifacts();
    for (const artifact of [core, comm]) {
      expect(artifact.bytecode).toMatch(/^0x[0-9a-f]{200,}$/);
      expect(artifact.deployedBytecode).toMatch(/^0x[0-9a-f]{200,}$/);
      // Runtime code is placed with hardhat_setCode: it must not depend on a constructor (no immutables).
      expect(artifact.bytecode.endsWith(artifact.deployedBytecode.slice(2))).toBe(true);
    }
    const events = comm.abi.filter((item) => item.type === 'event');
    expect(events.map((e) => toEventSelector(e))).toContain(
      '0xcc2b84a32bce3d060db75a4c0e59bfef192503be5c83bfa5ad79a41d384ff22c',
    );
    expect(existsSync(join(artifactsDir(), 'PushCore.json'))).toBe(true);
    expect(await loadArtifact('PushCore')).toBe(core); // cached per process
  });

  it('reports a missing artifact as PUSH_ERR_CONTRACT_BUILD', async () => {
    await expect(loadArtifact('NoSuchContract')).rejects.toMatchObject({ code: 'PUSH_ERR_CONTRACT_BUILD' });
  });
});

describe('scripts/build-contracts.js', () => {
  it('compiles every .sol into <Name>.json, skips interfaces, and skips all work when nothing changed', async () => {
    const src = join(tmp, 'good-src');
    const out = join(tmp, 'good-out');
    mkdirSync(src);
    writeFileSync(join(src, 'Greeter.sol'), GOOD);
    const { buildContracts } = (await import(pathToFileURL(SCRIPT).href)) as {
      buildContracts(o: { srcDir: string; outDir: string }): { built: boolean; contracts: string[] };
    };
    expect(buildContracts({ srcDir: src, outDir: out })).toMatchObject({
      built: true,
      contracts: ['Greeter'],
    });
    const artifact = JSON.parse(readFileSync(join(out, 'Greeter.json'), 'utf8'));
    expect(Object.keys(artifact)).toEqual(expect.arrayContaining(['abi', 'bytecode', 'deployedBytecode']));
    expect(existsSync(join(out, 'IGreeter.json'))).toBe(false);

    expect(buildContracts({ srcDir: src, outDir: out }).built).toBe(false);
    writeFileSync(join(src, 'Greeter.sol'), GOOD.replace('"hi"', '"hello"'));
    expect(buildContracts({ srcDir: src, outDir: out }).built).toBe(true);
    // A deleted artifact is rebuilt even though the sources did not change.
    rmSync(join(out, 'Greeter.json'));
    expect(buildContracts({ srcDir: src, outDir: out }).built).toBe(true);
  });

  it('exits 1 with one PUSH_ERR_CONTRACT_BUILD line naming the file and position on a compile error', () => {
    const src = join(tmp, 'bad-src');
    mkdirSync(src);
    writeFileSync(join(src, 'Broken.sol'), GOOD.replace('return "hi";', 'return "hi"'));
    const result = runScript(['--src', src, '--out', join(tmp, 'bad-out')]);
    expect(result.status).toBe(1);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^PUSH_ERR_CONTRACT_BUILD: Broken\.sol:\d+:\d+: /);
    expect(existsSync(join(tmp, 'bad-out', 'Broken.json'))).toBe(false);
  });

  it('as a CLI reports "up to date" for the repository contracts', () => {
    const result = runScript([]);
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^contracts (compiled|up to date): PushComm, PushCore, TestWallet -> /);
    expect(runScript(['--quiet']).stdout).toBe('');
  });
});
