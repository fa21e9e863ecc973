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
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'grafana/dashboards/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
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
  // The codec is pure TypeScript: no NestJS, no RxJS, no other library of ours.
  {
    files: ['libs/protocol/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/apps/**'], message: 'libs must not import apps' },
            {
              group: ['@nestjs/*', 'rxjs', '@semicache/*'],
              message: 'the codec imports no framework',
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
