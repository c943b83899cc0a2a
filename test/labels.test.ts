import { buildLabels, stackLabelValue } from "../components/labels";

describe("labels", () => {
    it("builds stable selector labels with the owning stack and adds managed-by and extra labels to the rest", () => {
        expect(buildLabels("rust-service", "api", "shop.prod", { team: "x", "app.kubernetes.io/name": "ignored" })).toEqual({
            selector: { "app.kubernetes.io/name": "rust-service", "app.kubernetes.io/instance": "api", "rust-service/stack": "shop.prod" },
            labels: {
                team: "x",
                "app.kubernetes.io/name": "rust-service",
                "app.kubernetes.io/instance": "api",
                "rust-service/stack": "shop.prod",
                "app.kubernetes.io/managed-by": "pulumi",
            },
        });
    });

    it.each([
        ["rust-service", "local", "rust-service.local"],
        // Changed to fit the label syntax: the hash keeps `acme/dev` apart from `acme-dev`.
        ["rust-service", "acme/dev", "rust-service.acme-dev-cb6bf93a2c"],
        ["_x", "dev_", "x.dev-0410ed75a6"],
        // Too long: the first 52 characters, then the first 10 hex digits of the whole name's SHA-256.
        ["p".repeat(40), "s".repeat(40), `${"p".repeat(40)}.${"s".repeat(11)}-4a2405a168`],
    ])("names project %s, stack %s as the label value %s", (project, stack, expected) => {
        expect(stackLabelValue(project, stack)).toBe(expected);
    });

    it("keeps two long stack names apart even when their first 52 characters agree", () => {
        const long = "a".repeat(60);
        expect(stackLabelValue("p", `${long}1`)).not.toBe(stackLabelValue("p", `${long}2`));
    });
});
