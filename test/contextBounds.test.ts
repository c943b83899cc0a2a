import { execFileSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { buildFingerprint, contextProblems } from "../components/contextHash";
import { problemMessage, rustServiceArgsProblems } from "../components/validation";

describe("build context bounds", () => {
    let dir: string;
    const dockerfile = () => path.join(dir, "Dockerfile");

    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "rust-service-context-"));
        fs.writeFileSync(dockerfile(), "FROM scratch\n");
        fs.mkdirSync(path.join(dir, "src"));
        fs.writeFileSync(path.join(dir, "src", "main.rs"), "fn main() {}\n");
    });

    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("accepts a service's own source", () => {
        expect(contextProblems(dir, dockerfile())).toEqual([]);
    });

    it.each(["node_modules", ".git", "target", "service/target"])("refuses %s/ in the context, with the fix", (heavy) => {
        fs.mkdirSync(path.join(dir, heavy), { recursive: true });
        fs.writeFileSync(path.join(dir, heavy, "blob"), "x");

        expect(contextProblems(dir, dockerfile())).toEqual([
            `holds ${heavy}/, which Docker would hash and send with every build: narrow the build context to the service's directory, or list it in .dockerignore`,
        ]);
    });

    it("accepts those directories once .dockerignore leaves them out", () => {
        for (const heavy of ["node_modules", ".git", "target"]) fs.mkdirSync(path.join(dir, heavy));
        fs.writeFileSync(path.join(dir, ".dockerignore"), "node_modules/\n.git/\ntarget/\n");

        expect(contextProblems(dir, dockerfile())).toEqual([]);
    });

    it("reports a FIFO instead of hanging on it, and the fingerprint skips it", () => {
        execFileSync("mkfifo", [path.join(dir, "src", "pipe")]);

        expect(contextProblems(dir, dockerfile())).toEqual(["holds src/pipe, a FIFO that cannot be part of an image: remove it or list it in .dockerignore"]);
        expect(buildFingerprint({ context: dir, dockerfile: dockerfile(), platform: "linux/amd64" })).toMatch(/^[a-f0-9]{64}$/);
    });

    it("reports a socket", async () => {
        const server = net.createServer();
        await new Promise<void>((resolve) => server.listen(path.join(dir, "agent.sock"), resolve));
        try {
            expect(contextProblems(dir, dockerfile())).toEqual([
                "holds agent.sock, a socket that cannot be part of an image: remove it or list it in .dockerignore",
            ]);
        } finally {
            server.close();
        }
    });

    it("stops counting at the first file over the bound (the Dockerfile, f0, f1, then f2) and says so", () => {
        for (let i = 0; i < 5; i++) fs.writeFileSync(path.join(dir, "src", `f${i}.rs`), "x");

        expect(contextProblems(dir, dockerfile(), { files: 3, bytes: 2 ** 30 })).toEqual([
            "holds more than 3 files or 1 GiB (stopped counting at src/f2.rs), far more than a service's source: narrow the build context to the service's directory, or list it in .dockerignore",
        ]);
    });

    it("reports the context of the repository root (node_modules/, .git/) as a problem of build.context", () => {
        const repoRoot = path.resolve(__dirname, "..");
        const problems = rustServiceArgsProblems("api", { build: { context: repoRoot, dockerfile: path.join(repoRoot, "service", "Dockerfile") } });

        expect(problems.filter((p) => p.path === "build.context").map((p) => problemMessage(p))).toEqual(
            expect.arrayContaining([expect.stringContaining("holds node_modules/, which Docker would hash")]),
        );
    });
});
