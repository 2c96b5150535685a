// ESLint 9 flat config: typescript-eslint's recommended rules, the style rules of docs (one statement per line,
// braces on every body, small functions, descriptive names) and the import directions between the areas of src/.
// Layout (prettier) is checked by `npm run format:check`; `npm run format` fixes both.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Areas of src/ that build on the leaves; a leaf (physics, io, quality) must import none of them. */
const ABOVE_LEAVES = ['analysis', 'calibration', 'detect', 'stream', 'server', 'report', 'cli', 'sim', 'beamtime'];

/** Relative-import patterns for an area of src/ (`../analysis`, `../../analysis/types`, …). */
function areaPatterns(area) {
  return [`**/${area}`, `**/${area}/**`, `**/${area}.js`, `**/${area}.ts`];
}

const SIM_RULE = {
  group: areaPatterns('sim'),
  message: 'the simulator is imported only by the CLI, src/detect/evaluate.ts, the bench and the tests',
};

const LEAF_RULE = {
  group: ABOVE_LEAVES.flatMap(areaPatterns),
  message: 'physics, io and quality are leaves: they import nothing from the areas above them',
};

/** The dashboard shares only the wire protocol and the result types with the server. */
const WEB_RULE = {
  // any path into the engine's src/ except src/protocol(.ts) and src/analysis/types(.ts)
  regex: '^(\\.\\./)+src/(?!(protocol|analysis/types)(\\.ts)?$)',
  message: 'web/src imports only src/protocol.ts and src/analysis/types.ts from the engine',
};

function restrictImports(...patterns) {
  return { 'no-restricted-imports': ['error', { patterns }] };
}

export default tseslint.config(
  {
    ignores: ['node_modules/', 'build/', 'dist/', 'web/dist/', 'test-artifacts/', 'coverage/', 'native/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      globals: { ...globals.node },
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'warn',
    },
    rules: {
      curly: ['error', 'all'],
      'max-statements-per-line': ['error', { max: 1 }],
      'max-lines-per-function': ['warn', { max: 80, skipBlankLines: true, skipComments: true }],
      'id-length': [
        'warn',
        {
          min: 2,
          exceptions: ['i', 'j', 'k', 'n', 'x', 'y', 'a', 'b', 'e', 't', 'v', '_'],
          properties: 'never',
        },
      ],
      // lazy loading (CLI commands, the optional addon, mathjs) is done with require() on purpose
      '@typescript-eslint/no-require-imports': 'off',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs' },
  },
  {
    files: ['src/**/*.ts'],
    // the package entry re-exports the simulator; src/stream/simulate.ts is the demo's live source (CLI only)
    ignores: ['src/index.ts', 'src/cli/**', 'src/sim/**', 'src/detect/evaluate.ts', 'src/stream/simulate.ts'],
    rules: restrictImports(SIM_RULE),
  },
  {
    files: ['src/physics/**/*.ts', 'src/io/**/*.ts', 'src/quality/**/*.ts'],
    rules: restrictImports(LEAF_RULE),
  },
  {
    files: ['web/src/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: restrictImports(WEB_RULE),
  },
  {
    // numerical kernels and test files keep their conventional short names and long table-driven bodies
    // test doubles (a fake WebSocket, a counting scheduler) are cast with `as any` where the real type is huge
    files: ['tests/**/*.ts', 'bench/**/*.js'],
    rules: { 'max-lines-per-function': 'off', 'id-length': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
