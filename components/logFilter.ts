// The service's LOG_LEVEL rule (service/src/config.rs, `parse_log_filter`), so a stack check rejects
// what the service would refuse at start-up. It is a port of two layers: the service's own rule (a
// bare word must be a level name, since EnvFilter reads an unknown bare word as a target and silently
// drops every log line) and tracing-subscriber 0.3's `Directive::parse` state machine, quirks included.
// service/tests/log_filters.txt is the table both implementations are tested against.

/** Level names the service accepts as a bare word. */
const LEVEL_WORDS = ["trace", "debug", "info", "warn", "error", "off"];

/** tracing's `LevelFilter::from_str`: 0-5, a level name in any case, or "" (error). */
function isLevelFilter(text: string): boolean {
    if (/^\+?\d+$/.test(text)) {
        return Number(text) <= 5;
    }
    return text === "" || LEVEL_WORDS.includes(text.toLowerCase());
}

/** tracing's field matcher `name[=value]`: the value is a bool, a number or a regular expression. */
function isFieldMatch(field: string): boolean {
    const value = field.split("=")[1];
    if (value === undefined) {
        return true;
    }
    try {
        // Rust's regex syntax, approximated by JavaScript's Unicode mode (they agree on everyday patterns).
        new RegExp(value, "u");
        return true;
    } catch {
        return false;
    }
}

type State =
    | { at: "start" }
    | { at: "levelOrTarget"; start: number }
    | { at: "span" }
    | { at: "field"; start: number }
    | { at: "fields" }
    | { at: "target" }
    | { at: "level"; start: number };

/**
 * tracing-subscriber's `Directive::parse` for one directive (the builder splits at every comma first,
 * so a directive holds none and the original's comma transitions never fire). Like the original it
 * walks the trimmed text but slices the untrimmed one, so `info, tower_http=debug` (a space after the
 * comma) fails there, and here.
 */
function isDirective(from: string): boolean {
    const trimmed = from.trim();
    let state: State = { at: "start" };
    for (let i = 0; i < trimmed.length; i++) {
        const c = trimmed[i];
        switch (state.at) {
            case "start":
                if (c === "[") {
                    state = { at: "span" };
                } else if (!["-", ":", "_"].includes(c) && !/^[\p{L}\p{N}]$/u.test(c)) {
                    return false;
                } else {
                    state = { at: "levelOrTarget", start: i };
                }
                break;
            case "levelOrTarget":
                if (c === "=") {
                    state = { at: "level", start: i + 1 };
                } else if (c === "[") {
                    state = { at: "span" };
                }
                break;
            case "span":
                if (c === "]") {
                    state = { at: "target" };
                } else if (c === "{") {
                    state = { at: "field", start: i + 1 };
                }
                break;
            case "field":
                if (c === "}") {
                    const field = from.slice(state.start, i);
                    if (field === "" || !isFieldMatch(field)) {
                        return false;
                    }
                    state = { at: "fields" };
                }
                break;
            case "fields":
                if (c !== "]") {
                    return false;
                }
                state = { at: "target" };
                break;
            case "target":
                if (c !== "=") {
                    return false;
                }
                state = { at: "level", start: i + 1 };
                break;
            case "level":
                break;
        }
    }
    switch (state.at) {
        case "levelOrTarget":
        case "target":
            return true;
        case "level":
            return isLevelFilter(from.slice(state.start));
        default:
            return false;
    }
}

/**
 * Whether the service accepts `value` as `LOG_LEVEL`: a level (trace, debug, info, warn, error, off)
 * or comma-separated tracing EnvFilter directives such as `info,tower_http=debug`, in which every bare
 * word is a level name.
 */
export function isServiceLogFilter(value: string): boolean {
    const s = value.trim();
    const directives = s
        .split(",")
        .map((d) => d.trim())
        .filter((d) => d !== "");
    const bareWordIsLevel = (d: string) => d.includes("=") || d.includes("[") || LEVEL_WORDS.includes(d.toLowerCase());
    if (directives.length === 0 || !directives.every(bareWordIsLevel)) {
        return false;
    }
    return s
        .split(",")
        .filter((d) => d !== "")
        .every(isDirective);
}

/** What LOG_LEVEL accepts, in the service's own words. */
export const LOG_FILTER_RULE = "must be a level (trace, debug, info, warn, error, off) or tracing filter directives such as `info,rust_service=debug`";
