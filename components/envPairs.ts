/**
 * Splits `NAME=value` strings (stack config form) into a record; reports entries without `=` or repeated
 * names. Any name is a plain key (`constructor`, `__proto__`). Problems name entries by index only, never
 * by their text: in a secret list the text before `=` may be a misplaced value.
 */
export function parseEnvPairs(entries: readonly string[]): { values: Record<string, string>; problems: string[]; indexes: ReadonlyMap<string, number> } {
    const pairs = new Map<string, string>();
    const indexes = new Map<string, number>();
    const problems: string[] = [];
    entries.forEach((entry, index) => {
        const eq = entry.indexOf("=");
        if (eq <= 0) {
            problems.push(`entry ${index} must have the form NAME=value`);
            return;
        }
        const key = entry.slice(0, eq);
        const first = indexes.get(key);
        if (first !== undefined) {
            problems.push(`entry ${index} repeats the name of entry ${first}: keep one`);
            return;
        }
        indexes.set(key, index);
        pairs.set(key, entry.slice(eq + 1));
    });
    // fromEntries defines own properties, so even `__proto__` stays a key rather than a prototype.
    return { values: Object.fromEntries(pairs), problems, indexes };
}
