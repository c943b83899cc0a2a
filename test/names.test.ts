import { DIGEST_PINNED_IMAGE, DNS1035_LABEL, DNS1123_LABEL, ENV_VAR_NAME } from "../components/names";

describe("name rules", () => {
    it.each([
        ["APP_MODE", true],
        ["_PRIVATE", true],
        ["a1", true],
        ["1A", false],
        ["APP-MODE", false],
        ["APP.MODE", false],
        ["", false],
        ["A B", false],
    ])("env var name %j valid: %s", (name, valid) => {
        expect(ENV_VAR_NAME.test(name)).toBe(valid);
    });

    it.each([
        ["api", true, true],
        ["a-1", true, true],
        ["1api", true, false],
        ["api-", false, false],
        ["Api", false, false],
        ["a_b", false, false],
        ["a.b", false, false],
    ])("label %j: DNS-1123 %s, DNS-1035 %s", (name, dns1123, dns1035) => {
        expect(DNS1123_LABEL.test(name)).toBe(dns1123);
        expect(DNS1035_LABEL.test(name)).toBe(dns1035);
    });

    it.each([
        [`ghcr.io/acme/api@sha256:${"0".repeat(64)}`, true],
        [`localhost:5000/api@sha256:${"f".repeat(64)}`, true],
        [`api:1.2@sha256:${"a".repeat(64)}`, true],
        [`api@sha256:${"A".repeat(64)}`, false],
        [`api@sha256:${"a".repeat(63)}`, false],
        ["api:latest", false],
        ["api", false],
    ])("image %j pinned by digest: %s", (ref, pinned) => {
        expect(DIGEST_PINNED_IMAGE.test(ref)).toBe(pinned);
    });
});
