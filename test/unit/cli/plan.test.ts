import { join } from "node:path";
import { main } from "../../../src/cli/main";

const examples = join(__dirname, "../../../examples");
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const code = await main(args, s => { out += s + "\n"; }, s => { err += s + "\n"; });
  return { code, out, err };
}

describe("capsicum plan", () => {
  it("plans the getting-started examples onto spot c/m/r instances of generation > 2 fitting all 10 inflate pods", async () => {
    const { code, out, err } = await cli(["plan", "-f", examples, "-o", "json"]);
    expect(code).toBe(0);
    const plan = JSON.parse(out);
    expect(Object.keys(plan).sort()).toEqual(["existingNodes", "nodeClaims", "totalPricePerHour", "unschedulable"]);
    expect(plan.unschedulable).toEqual([]);
    expect(plan.nodeClaims.flatMap((c: { pods: string[] }) => c.pods).sort()).toHaveLength(10);
    for (const c of plan.nodeClaims) {
      expect(c.capacityType).toBe("spot");
      expect(Object.keys(c).sort()).toEqual(["capacityType", "instanceType", "instanceTypeOptions", "name", "nodePool", "pods", "pricePerHour", "requests", "zone"].sort());
      expect(c.instanceType).toBe(c.instanceTypeOptions[0]);
      for (const t of c.instanceTypeOptions) expect(t).toMatch(/^(c|m|r)([3-9]|[1-9][0-9])[a-z-]*\./);
      expect(c.requests).toEqual({ cpu: `${c.pods.length * 500}m`.replace(/^(\d+)000m$/, "$1"), memory: "0", pods: String(c.pods.length) });
    }
    expect(plan.totalPricePerHour).toBeGreaterThan(0);
    expect(err).toMatch(/estimate/);
  });
  it("table output names types, prices and the spot estimate", async () => {
    const { code, out } = await cli(["plan", "-f", examples]);
    expect(code).toBe(0);
    expect(out).toMatch(/NODECLAIM/);
    expect(out).toMatch(/Total: \$/);
    expect(out).toMatch(/offline estimates/);
  });
  it("unknown command prints usage", async () => {
    const { code, err } = await cli(["frobnicate"]);
    expect(code).toBe(2);
    expect(err).toMatch(/unknown command "frobnicate"[\s\S]*usage: capsicum/);
  });
  it("missing files are reported with the path", async () => {
    await expect(cli(["plan", "-f", "/nonexistent/x.yaml"])).rejects.toThrow(/\/nonexistent\/x.yaml: no such file/);
  });
  it("unsupported output format is rejected with the fix", async () => {
    const { code, err } = await cli(["plan", "-f", examples, "-o", "yaml"]);
    expect(code).toBe(2);
    expect(err).toMatch(/use -o json or -o table/);
  });
});
