/**
 * The secret heuristics of `policy/rules/secrets.ts` as input/expected tables, so every choice about
 * a borderline name or a JSON shape is visible in one place.
 */
import { looksLikeSecretName, secretReason, secretValueKind } from "../../policy/rules/secrets";

/** [name, says it holds a secret, why] */
const NAMES: [string, boolean, string][] = [
    // Spelled out: anywhere in the name, glued or not.
    ["DB_PASSWORD", true, "spelled out"],
    ["dbPassword", true, "camelCase"],
    ["DBPASSWORD", true, "glued words"],
    ["client-secret", true, "kebab-case"],
    ["GITHUB_TOKEN", true, "token"],
    ["apiKey", true, "API key"],
    ["AWS_SECRET_ACCESS_KEY", true, "secret"],
    ["tls.private_key", true, "private key"],
    ["PUBLIC_API_KEY", true, "an API key even when called public; allow it by name (allowedNames)"],
    // Abbreviated: whole words only.
    ["DB_PASS", true, "abbreviated password"],
    ["SMTP_PASS", true, "abbreviated password"],
    ["dbPass", true, "abbreviated password, camelCase"],
    ["PASS", true, "a password on its own"],
    ["MYSQL_PWD", true, "abbreviated password (the MySQL client reads it)"],
    ["DB_PWD", true, "abbreviated password"],
    ["PWD", false, "the shell's working directory"],
    ["OLDPWD", false, "the shell's previous working directory"],
    ["PASSENGER_COUNT", false, "PASS only as part of a word"],
    ["SSL_PASSTHROUGH", false, "PASS only as part of a word"],
    ["BYPASS_CACHE", false, "PASS only as part of a word"],
    // *_KEY: a credential unless public or a lookup key.
    ["STRIPE_KEY", true, "a key of a service"],
    ["SIGNING_KEY", true, "a signing key"],
    ["signingKey", true, "a signing key, camelCase"],
    ["ENCRYPTION_KEY", true, "an encryption key"],
    ["LICENSE_KEY", true, "a license key is a credential"],
    ["tls.key", true, "a TLS private key file"],
    ["JWT_KEYS", true, "several keys"],
    ["KEY", false, "alone, the key of a map entry"],
    ["PUBLIC_KEY", false, "the public half of a key pair"],
    ["publicKey", false, "the public half, camelCase"],
    ["STRIPE_PUBLISHABLE_KEY", false, "meant for browsers"],
    ["CACHE_KEY", false, "a cache lookup key"],
    ["cacheKey", false, "a cache lookup key, camelCase"],
    ["CACHE_KEY_PREFIX", false, "KEY is not the last word"],
    ["PARTITION_KEY", false, "a table's partition key"],
    ["SORT_KEY", false, "a table's sort key"],
    ["PRIMARY_KEY", false, "a table's primary key"],
    ["ROUTING_KEY", false, "a message routing key"],
    ["IDEMPOTENCY_KEY", false, "a request deduplication key"],
    ["HOTKEY", false, "KEY only as part of a word"],
    ["KEYCLOAK_URL", false, "KEY only as part of a word"],
    // Metadata about a secret: a path, a lifetime, an id.
    ["AWS_ACCESS_KEY_ID", false, "the id half of an AWS key pair, not the secret half"],
    ["KEY_ID", false, "an id"],
    ["KEY_FILE", false, "a path"],
    ["SIGNING_KEY_PATH", false, "a path"],
    ["DB_PASSWORD_FILE", false, "a path"],
    ["DB_PASS_FILE", false, "a path"],
    ["TOKEN_TTL", false, "a lifetime"],
    ["SECRET_NAME", false, "the name of a Secret"],
    ["LOG_LEVEL", false, "nothing secret"],
];

describe("looksLikeSecretName", () => {
    it.each(NAMES)("%s -> %s (%s)", (name, expected) => {
        expect(looksLikeSecretName(name)).toBe(expected);
    });
});

/** [JSON text, the member reported, or undefined]: a member is judged by its name, and by that name joined to its holder's. */
const JSON_DOCUMENTS: [string, string | undefined][] = [
    ['{"db":{"password":"hunter2"}}', "db.password"],
    ['{"DB_PASS":"x"}', "DB_PASS"],
    ['{"stripe":{"signingKey":"whsec_abc"}}', "stripe.signingKey"],
    ['[{"name":"admin","pass":"hunter2"}]', "0.pass"],
    ['  {\n  "smtp": {"host": "mail", "pwd": "hunter2"}\n}', "smtp.pwd"],
    ['{"db":{"host":"db","port":5432}}', undefined],
    ['{"password":"${DB_PASSWORD}"}', undefined],
    ['{"password":"$(DB_PASSWORD)"}', undefined],
    ['{"password":""}', undefined],
    ['{"password":1234}', undefined],
    ['{"password":{"file":"/run/secrets/db"}}', undefined],
    ['{"cacheKey":"users","publicKey":"ssh-ed25519 AAAA"}', undefined],
    ['{"stripe":{"key":"sk_test_abc"}}', "stripe.key"],
    ['{"cache":{"key":"users"}}', undefined],
    ['{"headers":[{"key":"X-Request-Id","value":"abc"}]}', undefined],
    ['{"apiKeys":["k1","k2"]}', "apiKeys.0"],
    ['{"features":["password-reset"]}', undefined],
    ['["hunter2"]', undefined],
    ['{\n  "password": {\n    "file": "/run/secrets/db"\n  }\n}', undefined],
    ['{"password": "hunter2"', undefined],
    ['"hunter2"', undefined],
];

describe("secretValueKind on JSON", () => {
    it.each(JSON_DOCUMENTS)("%j -> %s", (text, member) => {
        expect(secretValueKind(text)).toBe(member === undefined ? undefined : `a JSON document assigning "${member}"`);
    });

    it("walks a deeply nested document without exhausting the call stack", () => {
        const depth = 20_000;
        const text = `${"[".repeat(depth)}{"pass":"hunter2"}${"]".repeat(depth)}`;
        expect(secretValueKind(text)).toBe(`a JSON document assigning "${"0.".repeat(depth)}pass"`);
    });
});

describe("secretReason", () => {
    it("names the JSON member that holds the secret", () => {
        expect(secretReason("app.json", '{"db":{"password":"hunter2"}}')).toBe('its value looks like a JSON document assigning "db.password"');
    });

    it("accepts a ${VAR} placeholder as the whole value, as it does $(VAR)", () => {
        expect([secretReason("DB_PASSWORD", "${DB_PASSWORD}"), secretReason("DB_PASSWORD", "$(DB_PASSWORD)")]).toEqual([undefined, undefined]);
    });

    it("reports a name-only secret once the value is a literal", () => {
        expect(secretReason("DB_PASS", "hunter2")).toBe("its name says it holds a secret and it has a literal value");
    });
});
