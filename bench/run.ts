// `npm run bench`: runs every bench/*.bench.ts (or the ones named on the command line) in turn.
// Each exports `default async function (): Promise<void>` that prints its own table.
import { readdirSync } from "node:fs";
import { join } from "node:path";

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const files = readdirSync(__dirname)
    .filter(f => f.endsWith(".bench.ts"))
    .filter(f => only.length === 0 || only.some(o => f.includes(o)))
    .sort();
  for (const f of files) {
    console.log(`\n=== ${f} ===`);
    const mod = await import(join(__dirname, f));
    await (mod.default as () => Promise<void>)();
  }
}
main().catch(err => { console.error(err); process.exit(1); });
