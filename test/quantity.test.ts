import { parseQuantity } from "../components/quantity";

describe("parseQuantity", () => {
    it.each([
        ["100m", 0.1],
        ["0.5", 0.5],
        ["2", 2],
        [".5", 0.5],
        ["64Mi", 64 * 2 ** 20],
        ["1Gi", 2 ** 30],
        ["128M", 128e6],
        ["1k", 1000],
        ["1Ki", 1024],
        ["1e3", 1000],
        ["1E-3", 0.001],
        ["500n", 5e-7],
    ])("parses %s", (quantity, expected) => {
        expect(parseQuantity(quantity)).toBeCloseTo(expected, 12);
    });

    it.each(["", "1GB", "100 m", "m", "1.2.3", "abc", "1mi", "--1"])("rejects %j", (quantity) => {
        expect(parseQuantity(quantity)).toBeUndefined();
    });
});
