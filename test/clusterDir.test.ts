import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const clusterScript = path.resolve(__dirname, "..", "scripts", "cluster", "cluster.sh");

function cluster(command: string, dir: string) {
    return spawnSync("bash", [clusterScript, command], { env: { ...process.env, RUST_SERVICE_CLUSTER_DIR: dir }, encoding: "utf8" });
}

describe("cluster.sh and directories it did not make", () => {
    it("refuses to reset a directory without its marker, and deletes nothing", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "not-a-cluster-"));
        fs.writeFileSync(path.join(dir, "precious"), "keep");

        const run = cluster("reset", dir);

        expect(run.status).toBe(1);
        expect(run.stderr).toContain(`refusing to delete ${dir}: it was not made by this script (no .rust-service-owner file); nothing was deleted`);
        expect(fs.readFileSync(path.join(dir, "precious"), "utf8")).toBe("keep");
    });

    it("says there is nothing to reset when the directory does not exist", () => {
        const dir = path.join(os.tmpdir(), `no-cluster-${process.pid}`);

        const run = cluster("reset", dir);

        expect(run.status).toBe(0);
        expect(run.stderr).toContain(`nothing to reset: ${dir} does not exist`);
    });
});
