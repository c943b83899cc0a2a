/**
 * Three projects: `unit` (Pulumi mocks, pure functions, and consumer projects that install the packed
 * package with SDKs from the npm registry; about two minutes), `image` (a real Docker Engine and
 * registry; minutes) and `e2e` (the real Pulumi engine on a real single-node Kubernetes; minutes).
 * `npm test` runs all three; each can be run alone with `--selectProjects`.
 * @type {import('jest').Config}
 */
const shared = {
    testEnvironment: "node",
    transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "<rootDir>/tsconfig.jest.json" }] },
};

module.exports = {
    projects: [
        {
            ...shared,
            displayName: "unit",
            testMatch: ["<rootDir>/test/**/*.test.ts"],
            testPathIgnorePatterns: ["<rootDir>/test/image/", "<rootDir>/test/e2e/"],
        },
        { ...shared, displayName: "image", testMatch: ["<rootDir>/test/image/**/*.test.ts"] },
        { ...shared, displayName: "e2e", testMatch: ["<rootDir>/test/e2e/**/*.test.ts"] },
    ],
};
