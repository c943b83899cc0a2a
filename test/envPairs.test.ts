import { parseEnvPairs } from "../components/envPairs";

describe("parseEnvPairs", () => {
    it("splits NAME=value at the first '=' and keeps empty values", () => {
        expect(parseEnvPairs(["A=1", "B=x=y", "C="])).toEqual({
            values: { A: "1", B: "x=y", C: "" },
            problems: [],
            indexes: new Map([
                ["A", 0],
                ["B", 1],
                ["C", 2],
            ]),
        });
    });

    it("reports entries without a name or '=' and repeated names by index, never by their text", () => {
        expect(parseEnvPairs(["A=1", "novalue", "=x", "A=2"]).problems).toEqual([
            "entry 1 must have the form NAME=value",
            "entry 2 must have the form NAME=value",
            "entry 3 repeats the name of entry 0: keep one",
        ]);
    });

    it.each(["__proto__", "constructor", "toString", "hasOwnProperty"])("keeps %s as a plain name", (name) => {
        const { values, problems } = parseEnvPairs([`${name}=x`]);
        expect(problems).toEqual([]);
        expect(Object.keys(values)).toEqual([name]);
        expect(Object.getOwnPropertyDescriptor(values, name)?.value).toBe("x");
    });
});
