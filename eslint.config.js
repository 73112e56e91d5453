// ESLint flat config (STYLE §5): typescript-eslint strictTypeChecked, core import bans, exhaustive switches.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const coreGlobs = [
  'src/common/**',
  'src/http1/**',
  'src/hpack/**',
  'src/qpack/**',
  'src/http2/**',
  'src/http3/**',
  'src/quic/**',
  'src/websocket/**',
  'src/webtransport/**',
];

export default tseslint.config(
  { ignores: ['dist/**', 'dist-fuzz/**', 'build/**', 'node_modules/**', 'corpus/**', '.fuzz-work/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', '*.mjs', 'fuzz/*.mjs', 'native/*.mjs'] },
      },
    },
    rules: {
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/explicit-module-boundary-types': 'error',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      'no-restricted-syntax': [
        'error',
        { selector: 'TSEnumDeclaration', message: 'Use an `as const` object (STYLE §3.2).' },
      ],
    },
  },
  {
    files: coreGlobs,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'Cores import no node:* module (STYLE §2).' },
            {
              group: ['**/transport/**', '**/server/**'],
              message: 'Cores never import transports or the server.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'Buffer', 'setTimeout', 'setInterval', 'setImmediate', 'process'],
    },
  },
  {
    // STYLE §2: the QUIC core reaches node:crypto only through this one provider.
    files: ['src/quic/crypto/node.ts'],
    rules: {
      'no-restricted-imports': 'off',
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'setImmediate', 'process'],
    },
  },
  {
    files: ['test/**', 'bench/**', 'fuzz/**'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/explicit-module-boundary-types': 'off',
      // node:test's test() returns a promise the runner tracks itself.
      '@typescript-eslint/no-floating-promises': 'off',
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['**/*.mjs', '*.js'],
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' },
    },
  },
);
