import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const noApps = { group: ['**/apps/**'], message: 'libs must not import apps' };
// The CLI and the client library load no framework: a CLI run stays quick, and the library serves
// the CLI, the bench and the tests alike.
const noFramework = {
  group: [
    '@nestjs/*',
    'rxjs',
    'rxjs/*',
    '@semicache/transport',
    '@semicache/transport/*',
    '@semicache/runtime',
    '@semicache/runtime/*',
    '**/libs/transport/**',
    '**/libs/runtime/**',
  ],
  message: 'the CLI and @semicache/client load no NestJS, RxJS or Nest-based library',
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // TypeScript is linted with its types: a promise nobody awaits or handles, a promise passed
  // where a callback's result is ignored, `any` leaking out of a library into our code.
  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [tseslint.configs.recommendedTypeCheckedOnly],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // The cache answers a hit synchronously (`T | Promise<T>`): Promise.all over such values is meant.
      '@typescript-eslint/await-thenable': ['error', { allowMixedPromiseArrays: true }],
    },
  },
  // Tests compare parsed JSON with jest's matchers (`expect.any(...)`), which are typed `any`.
  {
    files: ['**/*.spec.ts', '**/*.e2e-spec.ts', '**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  // Plain JavaScript (scripts/, bench/, jest.config.js) has no types to check against: it is
  // linted without them.
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: globals.node,
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  // The apps depend on the libraries, never the reverse.
  {
    files: ['libs/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/apps/**'], message: 'libs must not import apps' }] },
      ],
    },
  },
  // The codec and the policies are pure TypeScript: no NestJS, no RxJS, no other library of ours.
  {
    files: ['libs/protocol/**/*.ts', 'libs/policies/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/apps/**'], message: 'libs must not import apps' },
            {
              group: ['@nestjs/*', 'rxjs', '@semicache/*'],
              message: 'the codec and the policies import no framework',
            },
          ],
        },
      ],
    },
  },
  // The events' records, ring and JSON are pure TypeScript too: they run on the request path.
  {
    files: ['libs/events/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            noApps,
            {
              group: ['@nestjs/*', 'rxjs', 'rxjs/*', '@semicache/*'],
              message: 'the event log imports no framework',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/client-cli/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noFramework] }] },
  },
  {
    files: ['libs/client/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noApps, noFramework] }] },
  },
);
