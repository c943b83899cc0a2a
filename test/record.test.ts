import { asRecord } from "../components/record";

describe("asRecord", () => {
    it.each<[string, unknown]>([
        ["an empty object", {}],
        ["an object", { a: 1 }],
        ["an object without a prototype", Object.create(null)],
    ])("returns %s as it is", (_description, value) => {
        expect(asRecord(value)).toBe(value);
    });

    it.each<[string, unknown]>([
        ["undefined", undefined],
        ["null", null],
        ["an array", [1]],
        ["a string", "a"],
        ["a number", 1],
        ["a boolean", true],
    ])("returns undefined for %s", (_description, value) => {
        expect(asRecord(value)).toBeUndefined();
    });
});
