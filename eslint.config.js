// ESLint (flat config): rules that catch defects, not style (formatting and naming are left alone). Type-aware
// rules read the TypeScript program (tsconfig.json), which is what lets them see an unawaited promise.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test-artifacts/', '.venv-sdk/', 'data/'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // promises: an unawaited or misused one is a lost error or a race
      '@typescript-eslint/no-floating-promises': ['error', {
        // node:test runs what describe/it return itself
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['describe', 'it', 'test', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
      }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      '@typescript-eslint/prefer-promise-reject-errors': 'error',
      'no-async-promise-executor': 'error',
      // a switch over a union that misses a member falls through to nothing
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      // tsc's noUnusedLocals reports unused names already
      '@typescript-eslint/no-unused-vars': 'off',
      // `any` at the edges (JSON, test fixtures) is deliberate; the type-aware rules above are what catch defects
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // the validators look for control characters on purpose
      'no-control-regex': 'off',
      // TypeScript checks these itself, better (and `no-undef` does not know Node's globals or types)
      'no-undef': 'off',
      'no-redeclare': 'off',
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly', console: 'readonly', Buffer: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly',
        setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly',
      },
    },
  },
);
