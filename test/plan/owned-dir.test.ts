import * as fs from "fs";
import * as path from "path";
import { OWNER_MARKER, replaceOwnedDir } from "../../scripts/lib/ownedDir";
import { runTs, tempDir } from "./plan-runner";

describe("replaceOwnedDir", () => {
    it("creates a missing directory and marks it as the command's", () => {
        const dir = path.join(tempDir("owned"), "out");

        expect(replaceOwnedDir(dir, "npm run plan")).toEqual({ removed: 0 });

        expect(fs.readFileSync(path.join(dir, OWNER_MARKER), "utf8")).toBe("npm run plan\n");
    });

    it("replaces a directory it made before and says how many entries went", () => {
        const dir = path.join(tempDir("owned"), "out");
        replaceOwnedDir(dir, "npm run plan");
        fs.writeFileSync(path.join(dir, "old.yaml"), "x");
        fs.mkdirSync(path.join(dir, "kubernetes"));

        expect(replaceOwnedDir(dir, "npm run plan")).toEqual({ removed: 2 });

        expect(fs.readdirSync(dir)).toEqual([OWNER_MARKER]);
    });

    it("refuses a directory it did not make and leaves every file in place", () => {
        const dir = tempDir("owned");
        fs.writeFileSync(path.join(dir, "precious.txt"), "keep me");

        expect(() => replaceOwnedDir(dir, "npm run plan")).toThrow(`refusing to replace ${dir}: it holds 1 entries and was not made by npm run plan`);

        expect(fs.readFileSync(path.join(dir, "precious.txt"), "utf8")).toBe("keep me");
    });

    it("refuses a directory another command marked as its own", () => {
        const dir = tempDir("owned");
        fs.writeFileSync(path.join(dir, OWNER_MARKER), "npm run local:up\n");
        fs.writeFileSync(path.join(dir, "state.json"), "{}");

        expect(() => replaceOwnedDir(dir, "npm run plan")).toThrow("was not made by npm run plan");

        expect(fs.existsSync(path.join(dir, "state.json"))).toBe(true);
    });

    it("refuses an empty path instead of taking it as the current directory", () => {
        expect(() => replaceOwnedDir("", "npm run plan")).toThrow("the output directory must not be empty");
    });
});

describe("npm run plan --out", () => {
    it("refuses an empty --out and deletes nothing in the project directory", async () => {
        const before = fs.readdirSync(path.resolve(__dirname, "..", "..")).sort();

        const run = await runTs("plan", ["--stack", "local", "--out", ""]);

        expect(run.status).toBe(1);
        expect(run.stderr).toContain("--out must name a directory (an empty value would mean the current directory)");
        expect(fs.readdirSync(path.resolve(__dirname, "..", "..")).sort()).toEqual(before);
    }, 240_000);

    it("refuses an existing directory the plan did not make, and keeps its files", async () => {
        const dir = tempDir("not-a-plan");
        fs.writeFileSync(path.join(dir, "notes.md"), "mine");

        const run = await runTs("plan", ["--stack", "local", "--out", dir]);

        expect(run.status).toBe(1);
        expect(run.stderr).toContain(`refusing to replace ${dir}`);
        expect(fs.readFileSync(path.join(dir, "notes.md"), "utf8")).toBe("mine");
    }, 240_000);
});
