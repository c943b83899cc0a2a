import * as path from "path";
import { bundledServiceContext, defaultBuildOnPreview } from "../components/args";

describe("bundledServiceContext", () => {
    it("points at the bundled service/ relative to the working directory", () => {
        expect(path.resolve(bundledServiceContext())).toBe(path.resolve(__dirname, "..", "service"));
        expect(path.isAbsolute(bundledServiceContext())).toBe(false);
    });
});

describe("defaultBuildOnPreview", () => {
    it.each<[Record<string, string>, boolean]>([
        [{ CI: "true" }, true],
        [{ CI: "1" }, false],
        [{ CI: "false" }, false],
        [{}, false],
    ])("with env %j builds on preview: %s", (env, expected) => {
        expect(defaultBuildOnPreview(env)).toBe(expected);
    });
});
