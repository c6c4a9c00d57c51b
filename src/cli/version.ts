import { readFileSync } from 'node:fs';

/** The version in package.json (the CLI runs from src/ or dist/, both one folder below it). */
export const VERSION: string = (() => {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'uprof' && pkg.version) return pkg.version;
    } catch {
      // not there: try the next one
    }
  }
  return 'unknown';
})();
