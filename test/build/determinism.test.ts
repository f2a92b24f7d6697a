// `npm run build` is deterministic: a fresh `pepr build` + post-processing gives exactly the committed dist/.
// (Pepr alone would differ every time: new CA, key, API path and timestamp.) Slow (~1-2 min): its own project.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

const root = join(__dirname, "../..");

it("rebuilding from the sources gives byte-identical dist/ files", () => {
  // Inside the repo (build/ is git-ignored): pepr loads the built module to read its capabilities, which
  // must resolve `pepr` from node_modules.
  mkdirSync(join(root, "build"), { recursive: true });
  const tmp = mkdtempSync(join(root, "build", "rebuild-"));
  const build = join(tmp, "build"),
    out = join(tmp, "dist");
  const bin = (n: string) => join(root, "node_modules/.bin", n);
  execFileSync(bin("pepr"), ["build", "-o", build], { cwd: root, stdio: "pipe", env: { ...process.env, LOG_LEVEL: "debug" } });
  execFileSync(bin("tsx"), [join(root, "scripts/build-dist.ts"), build, out], { cwd: root, stdio: "pipe" });
  const committed = readdirSync(join(root, "dist")).filter((f) => f !== "README.md");
  expect(readdirSync(out).sort()).toEqual(committed.sort());
  for (const f of committed) {
    const a = readFileSync(join(root, "dist", f), "utf8"),
      b = readFileSync(join(out, f), "utf8");
    if (a !== b) throw new Error(`dist/${f} differs from a fresh build: run \`npm run build\` and commit dist/`);
  }
  rmSync(tmp, { recursive: true, force: true });
}, 600_000);
