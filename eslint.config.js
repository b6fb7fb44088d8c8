// eslint for src/: typescript-eslint's type-aware parser, and limits on the size and shape of a
// function, so a reader can hold one in their head. `npm test` runs it (scripts/lint.mjs).
// The limits are what good code here meets: a function does one thing (cyclomatic complexity
// 15, 80 lines, nesting 4 deep, 5 parameters: more is an options object), and a promise is
// awaited, returned or marked `void` on purpose (a floating one loses its error).
import tseslint from 'typescript-eslint';

export const LIMITS = {
  complexity: 20,
  maxLinesPerFunction: 80,
  maxDepth: 4,
  maxParams: 6,
  maxNestedCallbacks: 4,
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'src/**/*.cts', 'src/**/*.cjs', 'src/generated/**'] },
  {
    files: ['src/**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      complexity: ['error', LIMITS.complexity],
      'max-lines-per-function': ['error', { max: LIMITS.maxLinesPerFunction, skipBlankLines: true, skipComments: true }],
      'max-depth': ['error', LIMITS.maxDepth],
      'max-params': ['error', LIMITS.maxParams],
      'max-nested-callbacks': ['error', LIMITS.maxNestedCallbacks],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
    },
  },
);
