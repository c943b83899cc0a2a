import * as fs from "fs";
import * as path from "path";
import { loadStackConfig } from "../../scripts/plan/stack-config";
import { tempDir } from "./plan-runner";

/** A project directory with the given Pulumi.yaml and stack files. */
function project(files: Record<string, string>): string {
    const dir = tempDir("stack-config");
    for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
    return dir;
}

const projectFile = [
    "name: demo",
    "runtime: nodejs",
    "config:",
    "  replicas:",
    "    type: integer",
    "    default: 2",
    "  greeting:",
    "    type: string",
    "    default: hi",
    "  tags:",
    "    type: array",
    "    default: [a, b]",
    "  aws:region: eu-west-1",
    "  kubernetes:context:",
    "    value: kind-demo",
].join("\n");

describe("loadStackConfig", () => {
    it("qualifies keys with the project and overlays the stack file on Pulumi.yaml defaults", () => {
        const dir = project({ "Pulumi.yaml": projectFile, "Pulumi.dev.yaml": "config:\n  demo:replicas: 3\n  aws:region: us-east-1\n" });
        expect(loadStackConfig(dir, "dev")).toEqual({
            project: "demo",
            stack: "dev",
            values: {
                "demo:replicas": "3",
                "demo:greeting": "hi",
                "demo:tags": '["a","b"]',
                "aws:region": "us-east-1",
                "kubernetes:context": "kind-demo",
            },
            secretKeys: [],
            file: path.join(dir, "Pulumi.dev.yaml"),
        });
    });

    it("passes values as the CLI does: strings as they are, everything else as JSON", () => {
        const dir = project({
            "Pulumi.yaml": "name: demo\nruntime: nodejs\n",
            "Pulumi.dev.yaml": "config:\n  demo:on: true\n  demo:obj:\n    a: 1\n  demo:s: '007'\n",
        });
        expect(loadStackConfig(dir, "dev").values).toEqual({ "demo:on": "true", "demo:obj": '{"a":1}', "demo:s": "007" });
    });

    it("replaces secure values with the redaction marker and reports their keys as secret", () => {
        const dir = project({
            "Pulumi.yaml": "name: demo\nruntime: nodejs\n",
            "Pulumi.dev.yaml": [
                "config:",
                "  demo:token:",
                "    secure: v1:abc:ZGVm",
                "  demo:nested:",
                "    user: alice",
                "    password:",
                "      secure: v1:abc:Z2hp",
                "  demo:secretEnv:",
                "    - secure: v1:abc:amts",
                "    - PLAIN=1",
            ].join("\n"),
        });
        const config = loadStackConfig(dir, "dev");
        expect(config.values).toEqual({
            "demo:token": "<redacted secret>",
            "demo:nested": '{"user":"alice","password":"<redacted secret>"}',
            "demo:secretEnv": '["REDACTED_0=<redacted secret>","PLAIN=1"]',
        });
        expect(config.secretKeys).toEqual(["demo:nested", "demo:secretEnv", "demo:token"]);
        expect(JSON.stringify(config)).not.toMatch(/ZGVm|Z2hp|amts/);
    });

    it("reads another settings file when given one, like the CLI's --config-file", () => {
        const dir = project({ "Pulumi.yaml": projectFile, "other.yaml": "config:\n  demo:greeting: hello\n" });
        expect(loadStackConfig(dir, "dev", path.join(dir, "other.yaml")).values["demo:greeting"]).toBe("hello");
    });

    it("names the stacks that exist when the stack file is missing", () => {
        const dir = project({ "Pulumi.yaml": projectFile, "Pulumi.prod.yaml": "config: {}\n", "Pulumi.dev.yaml": "config: {}\n" });
        expect(() => loadStackConfig(dir, "qa")).toThrow(/no stack file .*Pulumi\.qa\.yaml; stacks here: dev, prod/);
    });

    it("refuses a stack that takes config from a Pulumi ESC environment", () => {
        const dir = project({ "Pulumi.yaml": projectFile, "Pulumi.dev.yaml": "environment:\n  - demo/dev\nconfig: {}\n" });
        expect(() => loadStackConfig(dir, "dev")).toThrow("`environment` (Pulumi ESC) cannot be resolved without the Pulumi CLI");
    });
});
