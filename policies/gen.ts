// `npm run gen`: writes crds/*.yaml and src/apis/generated/*.ts from policies/schemas.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { generatedFiles } from "./generate";

const root = join(__dirname, "..");
for (const f of generatedFiles()) {
  const target = join(root, f.path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, f.content);
  console.log(`wrote ${f.path}`);
}
