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
    // Providers plug into the runtime, never the other way round.
    files: ['src/providers/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/runtime/**'],
              message: 'A provider knows the provider contract, the chart and the errors only.'
            }
          ]
        }
      ]
    }
  },
  {
    // The agent is a program of its own, bundled into one file for images and VMs: it shares
    // the wire protocol with the hub and nothing else of the library.
    files: ['src/agent/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../*', '!../protocol.js'],
              message: 'The agent imports ws, node: modules and ../protocol.js only.'
            }
          ]
        }
      ]
    }
  },
  {
    // The demo is the library's first user: it imports what a user can.
    files: ['src/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../machines/**', '../providers/**', '../runtime/**'],
              message: 'Import from the package entries (../index.js, ../process.js...).'
            }
          ]
        }
      ]
    }
  },
  {
    // The dashboard's page is a browser program, bundled with its layout engine: it takes
    // only types from the library's server side.
    files: ['src/page/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['node:*'], message: 'The page runs in a browser.' },
            {
              group: ['**/runtime/**', '**/providers/**'],
              allowTypeImports: true,
              message: 'The page takes what the server sends (types only), not the server code.'
            }
          ]
        }
      ]
    }
  },
  {
    // Outside the chart, code asks it through its tags (live, cancelling, stopOverdue) and
    // instanceStateOf/availabilityOf, not by the shape of its state value, which is its own.
    files: ['src/**'],
    ignores: ['src/machines/**'],
    rules: {
      'no-restricted-syntax': ['error', ...stateValueReads()]
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

/** `no-restricted-syntax` entries for the ways of reading the chart's state value. */
function stateValueReads() {
  const message =
    'Ask the chart through its tags or instanceStateOf/availabilityOf (src/machines/latentWorker/snapshot.ts).';
  const region = '/^(instance|availability)$/';
  return [
    "CallExpression[callee.property.name='matches']",
    `MemberExpression[object.property.name='value'][property.name=${region}]`,
    `VariableDeclarator[init.property.name='value'] > ObjectPattern > Property[key.name=${region}]`,
    `Property[key.name='value'] > ObjectPattern > Property[key.name=${region}]`
  ].map((selector) => ({ selector, message }));
}
