const BINARY_SUFFIX: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60 };
const DECIMAL_SUFFIX: Record<string, number> = { n: 1e-9, u: 1e-6, m: 1e-3, "": 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18 };

/** Parses a Kubernetes resource quantity ("100m", "0.5", "64Mi", "1e3") to a number of base units; undefined if malformed. */
export function parseQuantity(quantity: string): number | undefined {
    const match = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(quantity);
    if (!match) {
        return undefined;
    }
    const base = Number(match[1]);
    if (match[2] !== undefined) {
        return base * 10 ** Number(match[2].slice(1));
    }
    const suffix = match[3] ?? "";
    return base * (BINARY_SUFFIX[suffix] ?? DECIMAL_SUFFIX[suffix]);
}
