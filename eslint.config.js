import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', '.services/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-imports': ['error', { patterns: [{ regex: '^(fs|http|net|path|os|crypto|child_process|stream|events|url|util|zlib|timers)(/.*)?$', message: 'use the node: prefix' }] }]
    }
  },
  {
    // Files: at most 350 lines. Functions: just above the largest today
    // (admin/control-routes.ts's module, 123 lines), so growth shows up in
    // review; to come down to 80.
    files: ['gateway/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 125, skipBlankLines: true, skipComments: true }],
      'max-lines': ['error', { max: 350, skipBlankLines: true, skipComments: true }]
    }
  }
)
