import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CLI_ENTRY = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
/** tsx's loader resolved from the repo, so the CLI runs from source in any working directory. */
export const TSX_LOADER = import.meta.resolve('tsx');

const running = new Set<ChildProcess>();

/** Runs the CLI from source (tsx), as `push-node <args>` would. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = REPO_ROOT): ChildProcess {
  const child = spawn(process.execPath, ['--import', TSX_LOADER, CLI_ENTRY, ...args], {
    cwd,
    env: { ...process.env, PUSH_NODE_LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** Kills every CLI process a test started and did not stop (a failed assertion must not leave a node running). */
export function killStrayClis(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, cwd = REPO_ROOT): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawnCli(args, env, cwd);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Resolves with the first stdout JSON log line that matches, e.g. the "push node listening" line. */
export function waitForLog(
  child: ChildProcess,
  msg: string,
  timeoutMs = 20_000,
): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let errBuf = '';
    const timer = setTimeout(
      () => reject(new Error(`timeout waiting for "${msg}"; stderr: ${errBuf}`)),
      timeoutMs,
    );
    child.stderr!.on('data', (d) => (errBuf += d));
    child.stdout!.on('data', (d) => {
      buf += d;
      for (const line of buf.split('\n')) {
        if (!line.includes(msg)) continue;
        try {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          clearTimeout(timer);
          resolve(parsed);
          return;
        } catch {
          // a partial line; wait for more
        }
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${code} before "${msg}"; stderr: ${errBuf}`));
    });
  });
}
