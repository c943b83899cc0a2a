/**
 * Two projects: `unit` (Pulumi mocks, pure functions; seconds) and `image` (a real Docker Engine
 * and registry; minutes). `npm test` runs both; each can be run alone with `--selectProjects`.
 * @type {import('jest').Config}
 */
const shared = {
  testEnvironment: "node",
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "<rootDir>/tsconfig.jest.json" }] },
};

module.exports = {
  projects: [
    { ...shared, displayName: "unit", testMatch: ["<rootDir>/test/**/*.test.ts"], testPathIgnorePatterns: ["<rootDir>/test/image/"] },
    { ...shared, displayName: "image", testMatch: ["<rootDir>/test/image/**/*.test.ts"] },
  ],
};
