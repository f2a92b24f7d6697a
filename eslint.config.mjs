// Lint config used by `pepr build` (it lints the module before bundling) and by editors.
import tsParser from "@typescript-eslint/parser";
import typescriptEslint from "@typescript-eslint/eslint-plugin";

export default [
  { ignores: ["**/node_modules", "**/dist", "**/build", "**/*.js", "**/*.mjs"] },
  {
    files: ["**/*.ts"],
    plugins: { "@typescript-eslint": typescriptEslint },
    languageOptions: { parser: tsParser, parserOptions: { sourceType: "module" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["warn", { argsIgnorePattern: "^_" }],
    },
  },
];
