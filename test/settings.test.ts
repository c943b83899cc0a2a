import * as fs from "fs";
import * as path from "path";
import { DEFAULT_SETTINGS, defaultTerminationGracePeriod, resolveSettings, settingsEnv, settingsFromEnvFile } from "../components/settings";

describe("settings", () => {
    it("fills unset settings with the service's defaults", () => {
        expect(resolveSettings({ port: 9000, logLevel: undefined })).toEqual({ ...DEFAULT_SETTINGS, port: 9000 });
    });

    it("turns settings into the env vars the service reads", () => {
        expect(settingsEnv(resolveSettings({ drainDelaySeconds: 2.5 }))).toEqual([
            { name: "PORT", value: "8080" },
            { name: "LOG_LEVEL", value: "info" },
            { name: "GREETING", value: "Hello from rust-service" },
            { name: "DRAIN_DELAY_SECONDS", value: "2.5" },
            { name: "SHUTDOWN_DEADLINE_SECONDS", value: "20" },
            { name: "REQUEST_TIMEOUT_SECONDS", value: "10" },
            { name: "BODY_LIMIT_BYTES", value: "1048576" },
        ]);
    });

    it("takes its defaults from the service's defaults.env, which the service's own tests check against its code", () => {
        const file = fs.readFileSync(path.join(__dirname, "..", "service", "defaults.env"), "utf8");
        expect(DEFAULT_SETTINGS).toEqual({
            port: 8080,
            logLevel: "info",
            greeting: "Hello from rust-service",
            drainDelaySeconds: 5,
            shutdownDeadlineSeconds: 20,
            requestTimeoutSeconds: 10,
            bodyLimitBytes: 1048576,
        });
        expect(settingsFromEnvFile(file)).toEqual(DEFAULT_SETTINGS);
    });

    it("reads settings from NAME=value lines and names a missing variable", () => {
        const lines = settingsEnv(resolveSettings({ port: 9000, greeting: "a=b" })).map(({ name, value }) => `${name}=${value}`);
        expect(settingsFromEnvFile(`# comment\n${lines.join("\n")}\n`)).toEqual({ ...DEFAULT_SETTINGS, port: 9000, greeting: "a=b" });
        expect(() => settingsFromEnvFile(lines.slice(1).join("\n"))).toThrow("PORT is missing from the service's defaults");
    });

    it.each([
        [{}, 30],
        [{ drainDelaySeconds: 0, shutdownDeadlineSeconds: 0 }, 5],
        [{ drainDelaySeconds: 2.5, shutdownDeadlineSeconds: 10.2 }, 18],
    ])("derives a grace period from %j: %d s", (settings, expected) => {
        expect(defaultTerminationGracePeriod(resolveSettings(settings))).toBe(expected);
    });
});
