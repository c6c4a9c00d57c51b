#!/usr/bin/env node
// Runs test files through node:test (with tsx): `node scripts/test.mjs [unit|e2e|browser|all]`.
//   unit     test/unit: pure code and single modules on real stores, no server processes
//   e2e      everything else but the browser: real servers over HTTP, CLI processes, SDK clients
//   browser  test/browser: Debian's Chromium through playwright-core
//   all      the three (what `npm test` runs)
// With COVERAGE=1, or under CI (CI=true), the run is measured with c8 over src/ (test processes and the
// server processes they start) and fails below the floor (package.json "c8" settings); the summary is
// printed after the tests. Server and CLI processes run the built dist/ when it is fresh (as on a clean
// checkout, where `npm ci` builds it); c8 maps their coverage back to src/ through the build's source maps
// ("exclude-after-remap", so the src/** filter applies after that mapping). The last line is always
// "N passed, N failed", node's own counts.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const which = process.argv[2] ?? 'all';
const SUITES = {
  unit: (file) => file.startsWith('test/unit/'),
  e2e: (file) => !file.startsWith('test/unit/') && !file.startsWith('test/browser/'),
  browser: (file) => file.startsWith('test/browser/'),
  all: () => true,
};
if (!(which in SUITES)) {
  console.error(`usage: node scripts/test.mjs [${Object.keys(SUITES).join('|')}]`);
  process.exit(2);
}

function testFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return testFiles(path);
    return entry.name.endsWith('.test.ts') ? [relative(ROOT, path)] : [];
  });
}

const files = testFiles(join(ROOT, 'test')).filter(SUITES[which]).sort();
const coverage = process.env.COVERAGE === '1' || process.env.CI === 'true';
const nodeArgs = ['--import', 'tsx', '--test', ...files];
const [command, args] = coverage
  ? [process.execPath, [join(ROOT, 'node_modules/c8/bin/c8.js'), process.execPath, ...nodeArgs]]
  : [process.execPath, nodeArgs];

const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
const counts = { pass: null, fail: null };
let pending = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  pending += chunk;
  const lines = pending.split('\n');
  pending = lines.pop();
  for (const line of lines) {
    const match = /^# (pass|fail) (\d+)$/.exec(line);
    if (match) counts[match[1]] = Number(match[2]);
  }
});
child.on('close', (code, signal) => {
  if (counts.pass !== null) console.log(`\n${counts.pass} passed, ${counts.fail ?? 0} failed`);
  process.exit(code ?? (signal ? 1 : 0));
});
