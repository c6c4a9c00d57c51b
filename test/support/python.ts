import { execFile } from 'node:child_process';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The official Python SDK, for the tests that drive uprof with it: `anthropic==1.13.0` in the virtualenv
 * `.venv-sdk` that `.ci/run` creates from the machine's Python package index. Under CI a missing or wrong
 * virtualenv fails the run (the Python leg is never skipped there); on a developer's machine it is created
 * on demand, and if that is impossible the leg is skipped with a loud message.
 */
export const PYTHON_SDK_VERSION = '1.13.0';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VENV = `${ROOT}.venv-sdk`;
export const VENV_PYTHON = `${VENV}/bin/python`;
const INSTALL = `python3 -m venv .venv-sdk && .venv-sdk/bin/pip install --retries 0 anthropic==${PYTHON_SDK_VERSION}`;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(command: string, args: string[], options: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command, args,
      { cwd: options.cwd ?? ROOT, env: { ...process.env, ...options.env }, timeout: options.timeoutMs ?? 300_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

async function installedVersion(python: string): Promise<string | null> {
  if (!existsSync(python)) return null;
  const probe = await run(python, ['-c', 'import anthropic; print(anthropic.__version__)'], { timeoutMs: 60_000 });
  return probe.code === 0 ? probe.stdout.trim() : null;
}

/** Creates the virtualenv beside the checkout (in a scratch directory first, so concurrent test files never see half of one). */
async function create(): Promise<string | null> {
  const scratch = `${VENV}.creating-${process.pid}`;
  rmSync(scratch, { recursive: true, force: true });
  const made = await run('python3', ['-m', 'venv', scratch]);
  const installed = made.code === 0 && (await run(`${scratch}/bin/pip`, ['install', '--quiet', '--retries', '0', `anthropic==${PYTHON_SDK_VERSION}`])).code === 0;
  if (!installed) {
    rmSync(scratch, { recursive: true, force: true });
    return `could not create it (${made.code === 0 ? 'pip install failed' : 'python3 -m venv failed'})`;
  }
  try {
    renameSync(scratch, VENV);
  } catch {
    rmSync(scratch, { recursive: true, force: true }); // another test file made it meanwhile
  }
  return null;
}

let cached: Promise<string | null> | null = null;

/** The virtualenv's python, or null when the Python leg must be skipped (never under CI). */
export function pythonSdk(): Promise<string | null> {
  return (cached ??= (async () => {
    let version = await installedVersion(VENV_PYTHON);
    if (version === PYTHON_SDK_VERSION) return VENV_PYTHON;
    const problem = version === null ? 'is missing' : `has anthropic ${version}, not ${PYTHON_SDK_VERSION}`;
    if (process.env.CI) {
      throw new Error(`The Python SDK virtualenv .venv-sdk ${problem}; CI never skips the Python leg. .ci/run creates it: ${INSTALL}`);
    }
    if (version === null) {
      const failed = await create();
      version = await installedVersion(VENV_PYTHON);
      if (version === PYTHON_SDK_VERSION) return VENV_PYTHON;
      console.log(`# Python SDK leg SKIPPED: .venv-sdk ${problem} and ${failed ?? 'was not usable'}. Create it with: ${INSTALL}`);
      return null;
    }
    console.log(`# Python SDK leg SKIPPED: .venv-sdk ${problem}. Recreate it with: rm -rf .venv-sdk && ${INSTALL}`);
    return null;
  })());
}

export interface PythonCheck {
  check: string;
  ok: boolean;
  error: string | null;
}

/** Runs a Python script of test/python/ with the virtualenv's python; answers its JSON lines. */
export async function runPythonChecks(python: string, script: string, env: Record<string, string>): Promise<{ checks: PythonCheck[]; run: Run }> {
  const result = await run(python, [`${ROOT}test/python/${script}`], { env });
  const checks = result.stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as PythonCheck);
  return { checks, run: result };
}
