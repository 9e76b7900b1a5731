// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'reports/', '.stryker-tmp/', '.notes/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js'] },
        tsconfigRootDir: import.meta.dirname
      }
    },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }
      ]
    }
  },
  {
    // The statecharts stay pure: no I/O, no runtime or concrete providers.
    files: ['src/machines/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: ['node:*', '**/runtime/**', '**/providers/*/**', 'rxjs'] }
      ]
    }
  },
  {
    files: ['test/**', 'bench/**'],
    rules: {
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/unbound-method': 'off'
    }
  },
  // The consumer of npm run test:types resolves `latent-workers` from a packed build, which
  // a fresh clone lacks: linted for style, type-checked by that script.
  { files: ['**/*.js', 'scripts/consumer/**'], ...tseslint.configs.disableTypeChecked }
);
