#!/usr/bin/env node
// The `uprof` command. It runs the compiled JavaScript in dist/ (built by `npm run build`, which `npm ci`
// runs through `prepare`). While developing, when a TypeScript source is newer than that build, it runs
// the sources through tsx's loader instead, so a stale build is never used.
import { existsSync, readdirSync, statSync } from 'node:fs';

const source = new URL('../src/', import.meta.url);
const built = new URL('../dist/cli/index.js', import.meta.url);

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = new URL(entry.name + (entry.isDirectory() ? '/' : ''), dir);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

if (existsSync(built) && statSync(built).mtimeMs >= newestSource(source)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('cli/index.ts', source).href);
}
