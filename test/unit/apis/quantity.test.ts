import { isZeroQuantity, parseQuantity } from "../../../src/apis/quantity";

describe("quantities", () => {
  it("parses Kubernetes quantities into base units", () => {
    expect(parseQuantity("500m")).toBe(0.5);
    expect(parseQuantity("1Gi")).toBe(1024 ** 3);
    expect(parseQuantity("2e3")).toBe(2000);
    expect(parseQuantity("1k")).toBe(1000);
    expect(parseQuantity(4)).toBe(4);
    expect(() => parseQuantity("2 cores", "spec.resources.requests.cpu")).toThrow(/spec\.resources\.requests\.cpu/);
  });
  it("isZeroQuantity: absent, empty and zero are zero (resources.IsZero); an unparsable value is kept, not zero", () => {
    for (const q of [undefined, "", "0", "0m", "0Gi", 0]) expect(isZeroQuantity(q)).toBe(true);
    for (const q of ["1", "100m", "1Ki", 2, "lots"]) expect(isZeroQuantity(q)).toBe(false);
  });
});
