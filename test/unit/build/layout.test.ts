// The tree's architecture rules (issue 10), read from the sources: the cloud-neutral core imports nothing from
// the AWS provider, `npm start` does not reach into test/, and no source file grows past 500 lines.
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(__dirname, "../../..");

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "__pycache__" || name === "data") continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** Relative module specifiers a TypeScript file imports (static, re-exports, dynamic import, require). */
function importsOf(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const specs: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) specs.push(m[1]!);
  return specs;
}

function resolveTs(from: string, spec: string): string | undefined {
  if (!spec.startsWith(".")) return undefined;
  const base = resolve(dirname(from), spec);
  for (const c of [base, `${base}.ts`, join(base, "index.ts")]) if (existsSync(c) && statSync(c).isFile()) return c;
  return undefined;
}

describe("layout", () => {
  it("the core (scheduling, provisioning, disruption, lifecycle) imports nothing from cloudprovider/aws", () => {
    const aws = join(root, "src/cloudprovider/aws");
    const offending: string[] = [];
    for (const dir of ["scheduling", "provisioning", "disruption", "lifecycle"])
      for (const f of walk(join(root, "src", dir)).filter((p) => p.endsWith(".ts")))
        for (const spec of importsOf(f)) {
          const target = resolveTs(f, spec) ?? resolve(dirname(f), spec);
          if (target.startsWith(aws)) offending.push(`${relative(root, f)} imports ${spec}`);
        }
    expect(offending).toEqual([]);
  });

  it("npm start (sandbox/start.ts) imports nothing from test/", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    const entry = join(root, /tsx (\S+)/.exec(pkg.scripts.start)![1]!);
    const seen = new Set<string>();
    const todo = [entry];
    while (todo.length) {
      const f = todo.pop()!;
      if (seen.has(f) || !f.endsWith(".ts")) continue;
      seen.add(f);
      for (const spec of importsOf(f)) {
        const t = resolveTs(f, spec);
        if (t) todo.push(t);
      }
    }
    expect(seen.size).toBeGreaterThan(10);
    expect([...seen].map((f) => relative(root, f)).filter((f) => f.startsWith("test/"))).toEqual([]);
  });

  it("no source file is over 500 lines", () => {
    const dirs = ["src", "capabilities", "policies", "sandbox", "scripts", "bin"];
    const files = [join(root, "pepr.ts"), ...dirs.flatMap((d) => walk(join(root, d)))].filter((f) =>
      /\.(ts|js|mjs|py|sh)$/.test(f),
    );
    expect(files.length).toBeGreaterThan(100);
    const long = files
      .map((f) => ({ f: relative(root, f), lines: readFileSync(f, "utf8").replace(/\n$/, "").split("\n").length }))
      .filter((x) => x.lines > 500);
    expect(long).toEqual([]);
  });
});
