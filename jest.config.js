// Three projects: unit (pure code, no processes), integration (real kube-apiserver + moto, started once
// in globalSetup), e2e (the full sandbox with the capsicum controller running against it).
const tsJest = ["ts-jest", { tsconfig: { module: "commonjs", moduleResolution: "node", esModuleInterop: true, resolveJsonModule: true, strict: true, target: "ES2022", skipLibCheck: true, isolatedModules: true }, diagnostics: { warnOnly: false } }];
const common = {
  testEnvironment: "node",
  transform: { "^.+\\.ts$": tsJest, "node_modules/.+\\.m?js$": "<rootDir>/test/esmTransform.js" },
  // ESM-only packages in node_modules are rewritten to CommonJS by test/esmTransform.js.
  transformIgnorePatterns: [],
  moduleFileExtensions: ["ts", "js", "mjs", "cjs", "json"],
  modulePathIgnorePatterns: ["<rootDir>/dist/", "<rootDir>/build/"],
};
module.exports = {
  testTimeout: 30000,
  projects: [
    { ...common, displayName: "unit", testMatch: ["<rootDir>/test/unit/**/*.test.ts"] },
    // Runs `pepr build` (no sandbox): the committed dist/ equals a fresh build.
    { ...common, displayName: "build", testMatch: ["<rootDir>/test/build/**/*.test.ts"] },
    {
      ...common,
      displayName: "integration",
      testMatch: ["<rootDir>/test/integration/**/*.test.ts"],
      globalSetup: "<rootDir>/test/globalSetup.ts",
      globalTeardown: "<rootDir>/test/globalTeardown.ts",
    },
    {
      ...common,
      displayName: "e2e",
      testMatch: ["<rootDir>/test/e2e/**/*.test.ts"],
      globalSetup: "<rootDir>/test/globalSetup.ts",
      globalTeardown: "<rootDir>/test/globalTeardown.ts",
    },
    {
      // GitOps e2e against a real Argo CD (built once by scripts/cluster/argocd-build.sh): the last step of
      // `npm test`, in a sandbox of its own; alone: `npm run test:gitops`.
      ...common,
      displayName: "gitops",
      testMatch: ["<rootDir>/test/gitops/**/*.test.ts"],
      globalSetup: "<rootDir>/test/globalSetup.ts",
      globalTeardown: "<rootDir>/test/globalTeardown.ts",
    },
  ],
};
