import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { readCheckpoint } from "../scripts/local/checkpoint";

describe("readCheckpoint", () => {
    let backend: string;
    const stacks = () => path.join(backend, ".pulumi", "stacks", "proj");
    const latest = { resources: [{ urn: "urn:pulumi:dev::proj::pulumi:pulumi:Stack::proj-dev", type: "pulumi:pulumi:Stack" }], pending_operations: [] };
    const checkpoint = JSON.stringify({ version: 3, checkpoint: { stack: "organization/proj/dev", latest } });

    beforeEach(() => {
        backend = fs.mkdtempSync(path.join(os.tmpdir(), "checkpoint-"));
        fs.mkdirSync(stacks(), { recursive: true });
    });
    afterEach(() => fs.rmSync(backend, { recursive: true, force: true }));

    it("reads the latest deployment of a stack's checkpoint", () => {
        fs.writeFileSync(path.join(stacks(), "dev.json"), checkpoint);
        expect(readCheckpoint(backend, "proj", "dev")).toEqual(latest);
    });

    it("reads a compressed checkpoint (PULUMI_SELF_MANAGED_STATE_GZIP)", () => {
        fs.writeFileSync(path.join(stacks(), "dev.json.gz"), zlib.gzipSync(checkpoint));
        expect(readCheckpoint(backend, "proj", "dev")).toEqual(latest);
    });

    it("is undefined for a stack with no checkpoint, and empty for one that has never deployed", () => {
        expect(readCheckpoint(backend, "proj", "dev")).toBeUndefined();
        fs.writeFileSync(path.join(stacks(), "new.json"), JSON.stringify({ version: 3, checkpoint: { stack: "organization/proj/new" } }));
        expect(readCheckpoint(backend, "proj", "new")).toEqual({});
    });
});
