import tseslint from 'typescript-eslint';

/** The project's top-level folders, for the import rules below (see ARCHITECTURE.md's layout). */
const FOLDERS = [
  'activities',
  'bench',
  'cli',
  'data',
  'domain',
  'git',
  'runtime',
  'stack',
  'test',
  'web',
  'workers',
  'workflows',
];
/** A relative import that reaches one of these top-level folders, from any depth. */
const into = (folders) => `^(\\.\\./)+(${folders.join('|')})/`;
const except = (...kept) => FOLDERS.filter((folder) => !kept.includes(folder));

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'generated/**',
      'node_modules/**',
      '.maestro/**',
      'web/console/vite.config.ts',
      'eslint.config.js',
      'vitest*.config.ts',
      'prisma.config.ts',
      'scripts/**',
    ],
  },
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
    // It imports domain/, its own folder's files (the *.shared.ts contracts among them) and the SDK's
    // workflow package; an activity module only for its type (erased before bundling).
    files: ['workflows/**/*.ts'],
    ignores: ['workflows/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^node:', message: 'Workflow code cannot use Node modules; do it in an activity.' },
            {
              regex: '^(?!\\.|@temporalio/(workflow|common)$|zod/mini$)',
              message:
                'Workflow code imports only @temporalio/workflow (and @temporalio/common, zod/mini); do the rest in an activity.',
            },
            {
              regex: into(['activities']),
              allowTypeImports: true,
              message: 'Workflows import only the types of activities.',
            },
            {
              regex: into(except('domain', 'workflows', 'activities')),
              message: 'Workflows import only domain/ and their own shared files.',
            },
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
  {
    // domain/ is pure TypeScript that every other folder may use: it imports nothing of the project.
    files: ['domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: '^node:', message: 'domain/ is pure: no Node modules.' },
            { regex: '^\\.\\./', message: 'domain/ imports nothing of the project but itself.' },
          ],
        },
      ],
    },
  },
  {
    // The layers both the workers and the API use: they never reach up into either.
    files: ['data/**/*.ts', 'git/**/*.ts', 'runtime/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: into(except('domain', 'data', 'git', 'runtime', 'test')),
              message: 'data/, git/ and runtime/ import only domain/ and each other.',
            },
          ],
        },
      ],
    },
  },
  {
    // Activities are the workers' side effects; the API and the console never import them.
    files: ['web/server/**/*.ts', 'cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: into(['activities', 'workers', 'stack']),
              message: "The API and the CLI use data/, git/ and runtime/, never the workers' activities.",
            },
          ],
        },
      ],
    },
  },
  {
    // The console is a tRPC client: it knows the server only by its router's type.
    files: ['web/console/**/*.ts', 'web/console/**/*.tsx'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { regex: into(FOLDERS), message: "The console imports only the API's router type (web/server/root.ts)." },
            {
              regex: '^(\\.\\./)+server/(?!root\\.js$)',
              message: "The console imports only the API's router type (web/server/root.ts).",
            },
            {
              regex: '^(\\.\\./)+server/root\\.js$',
              allowTypeImports: true,
              message: "The console imports the router's type only.",
            },
          ],
        },
      ],
    },
  },
);
