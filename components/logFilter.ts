// The LOG_LEVEL values a stack may set: a deliberately small subset of what the service accepts
// (service/src/config.rs, `parse_log_filter`: a bare word must be a level name, then tracing
// EnvFilter's directive syntax). Every value in the subset is accepted by the service: the service
// trims the value and splits it at commas; each directive here is a level name, which passes its
// bare-word rule and is a global level to EnvFilter, or `target=level` with a Rust path as target,
// which EnvFilter reads as a target directive. Span and field filters (`[request]=debug`), numeric
// levels, empty levels and empty directives are refused although the service would take them.
// service/tests/log_filters.txt, run against the service by service/tests/api/config.rs, holds the
// examples; test/logFilter.test.ts checks that nothing the service rejects is accepted here.

const LEVEL = "(?:trace|debug|info|warn|error|off)";
const TARGET = "[a-z_][a-z0-9_]*(?:::[a-z_][a-z0-9_]*)*";
const DIRECTIVE = `(?:${TARGET}=)?${LEVEL}`;
const LOG_FILTER = new RegExp(`^${DIRECTIVE}(?:,${DIRECTIVE})*$`, "i");

/** Whether `value` is in the subset of `LOG_LEVEL` values a stack may set ({@link LOG_FILTER_RULE}). */
export function isServiceLogFilter(value: string): boolean {
    return LOG_FILTER.test(value.trim());
}

/** What LOG_LEVEL accepts here. */
export const LOG_FILTER_RULE =
    "must be a level (trace, debug, info, warn, error, off) or comma-separated `target=level` directives such as `info,rust_service=debug` (no spaces, span or field filters)";
