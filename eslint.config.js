import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'generated/**', 'node_modules/**', '.maestro/**', 'web/console/vite.config.ts', 'eslint.config.js', 'vitest*.config.ts', 'prisma.config.ts', 'scripts/**'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    extends: [tseslint.configs.base],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // A forgotten await in a workflow or a shutdown path loses work silently.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
    },
  },
  {
    // Workflow code must stay deterministic: no I/O, no clock, no Node modules, no activity code.
    files: ['workflows/**/*.ts'],
    ignores: ['workflows/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^node:', message: 'Workflow code cannot use Node modules; do it in an activity.' },
            {
              regex: '^(fs|path|os|child_process|crypto|net|http|https|execa|pg|pino|simple-git|@prisma/.*|@temporalio/(client|worker|activity))$',
              message: 'Workflow code must stay deterministic; move this into activities/.',
            },
            { regex: '^\\.\\./(activities|stack|web|workers)/', allowTypeImports: true, message: 'Workflows import only types from activities/.' },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'fetch', message: 'No network in workflow code.' },
        { name: 'setTimeout', message: 'Use sleep() or condition() from @temporalio/workflow.' },
        { name: 'setInterval', message: 'Use sleep() in a loop from @temporalio/workflow.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'console', property: 'log', message: 'Use log from @temporalio/workflow (replay-aware).' },
      ],
    },
  },
);
