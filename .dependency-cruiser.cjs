/**
 * The import rules of the layering the README describes (functional core, imperative shell):
 * `policy/` is pure and imports nothing of the product; `conversation/` (the conversation's own
 * vocabulary and ports) imports only the policy; `dialogs/` import only the policy and
 * `conversation/`; everything outside `policy/` reaches it through `policy/index.ts`; no cycles.
 * Checked by `test/architecture/imports.test.ts` (part of `npm test`) and `npm run -s imports`.
 */
const PRODUCT = '^(bot|conversation|dialogs|prompts|simulate|bench|test)/';
const SHELL = '^(bot|prompts|simulate|bench|test)/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycle',
      severity: 'error',
      comment: 'Import cycles make the layering meaningless and the load order fragile.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'policy-is-pure',
      severity: 'error',
      comment: 'The policy decides from its inputs alone: it imports nothing of the product.',
      from: { path: '^policy/' },
      to: { path: PRODUCT },
    },
    {
      name: 'conversation-is-core',
      severity: 'error',
      comment: "The conversation's vocabulary and ports know nothing of channels, storage or dialogs.",
      from: { path: '^conversation/' },
      to: { path: `${SHELL}|^dialogs/` },
    },
    {
      name: 'dialogs-are-core',
      severity: 'error',
      comment: 'Dialogs import only the policy and conversation/; the shell hands them ports.',
      from: { path: '^dialogs/' },
      to: { path: SHELL },
    },
    {
      name: 'prompts-are-templates',
      severity: 'error',
      comment: 'Prompt templates are written against the understanding contract, not the engines that use them.',
      from: { path: '^prompts/' },
      to: { path: '^(bot|dialogs|simulate|bench|test)/' },
    },
    {
      name: 'policy-through-index',
      severity: 'error',
      comment: 'The product uses what policy/index.ts exports, nothing of its insides.',
      from: { path: '^(bot|conversation|dialogs|prompts|simulate|bench)/' },
      to: { path: '^policy/', pathNot: '^policy/index\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    // Type-only imports count: a dialog that names a shell type depends on the shell.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'], extensions: ['.ts', '.js', '.json'] },
  },
};
