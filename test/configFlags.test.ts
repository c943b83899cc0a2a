import { parse } from "yaml";
import { CONFIG_KEYS, PROJECT } from "../config";
import { setConfigFlags } from "../scripts/local/configFlags";

const stackFile = `encryptionsalt: v1:abc
config:
  ${PROJECT}:greeting: Hello
  ${PROJECT}:secretEnv:
    - secure: v1:cipher
`;
const set = (pairs: string[]) => parse(setConfigFlags(stackFile, pairs, PROJECT, CONFIG_KEYS));

describe("setConfigFlags (up --config)", () => {
    it("sets plain keys as strings, as `pulumi config set` stores them, and keeps the rest of the file", () => {
        const file = set(["greeting=Hi = there", "replicas=3", "createNamespace=false"]);
        expect(file.config).toEqual({
            [`${PROJECT}:greeting`]: "Hi = there",
            [`${PROJECT}:replicas`]: "3",
            [`${PROJECT}:createNamespace`]: "false",
            [`${PROJECT}:secretEnv`]: [{ secure: "v1:cipher" }],
        });
        expect(file.encryptionsalt).toBe("v1:abc");
    });

    it("takes an empty value (the key's default)", () => {
        expect(set(["greeting="]).config[`${PROJECT}:greeting`]).toBe("");
    });

    it.each<[string, string, RegExp]>([
        ["an unknown key", "greting=Hi", /got the key "greting"/],
        ["no =", "greeting", /needs KEY=VALUE .* got the key "greeting"/],
        ["no key", "=Hi", /needs KEY=VALUE .* got the key ""/],
        ["an inherited property name", "constructor=x", /got the key "constructor"/],
        ["a secret key", "registryPassword=hunter2", /cannot set registryPassword: use `config-set registryPassword - --secret`/],
        ["a list key", "env=A=1", /cannot set env: use `config-set env - --list`/],
        ["a secret list key", "secretEnv=A=1", /cannot set secretEnv: use `config-set secretEnv - --list --secret`/],
    ])("refuses %s, naming the key and never the value", (_, pair, message) => {
        expect(() => set(["greeting=changed", pair])).toThrow(message);
        expect(() => set([pair])).toThrow(/nothing was changed/);
        expect(() => set([pair])).not.toThrow(/hunter2|Hi$/);
    });
});
