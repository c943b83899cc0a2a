/**
 * Minimal HTTP client helpers for talking to the containerised service: one request per
 * connection (no keep-alive), so a test sees exactly what a fresh client would.
 */
import * as http from "node:http";

/** Status and body text of a finished response. */
export interface HttpResponse {
    status: number;
    body: string;
}

/** Sends one request; `body` chunks are written `chunkIntervalMs` apart (a slow client). */
export function request(
    url: string,
    options: { method?: string; chunks?: Buffer[]; chunkIntervalMs?: number; timeoutMs?: number; onFirstChunk?: () => void } = {},
): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
        const req = http.request(url, { method: options.method ?? "GET", agent: false, timeout: options.timeoutMs ?? 5_000 }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => (body += chunk));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
            res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error(`${options.method ?? "GET"} ${url} timed out`)));
        req.on("error", reject);

        const chunks = options.chunks ?? [];
        if (chunks.length === 0) {
            req.end();
            return;
        }
        // No Content-Length: Node sends the body chunked, so the server sees a request still arriving.
        const writeNext = (index: number): void => {
            if (req.destroyed) return;
            if (index === chunks.length) {
                req.end();
                return;
            }
            req.write(chunks[index]);
            if (index === 0) options.onFirstChunk?.();
            setTimeout(() => writeNext(index + 1), options.chunkIntervalMs ?? 0);
        };
        writeNext(0);
    });
}

/**
 * Polls `url` until it answers `status`; resolves with the milliseconds waited. Connection errors
 * count as "not yet". Rejects after `timeoutMs` with the last error or status seen.
 */
export async function waitForStatus(url: string, status: number, timeoutMs: number, intervalMs = 25): Promise<number> {
    const start = performance.now();
    let last = "no attempt";
    while (performance.now() - start < timeoutMs) {
        try {
            const res = await request(url, { timeoutMs: 1_000 });
            if (res.status === status) return performance.now() - start;
            last = `status ${res.status}`;
        } catch (error) {
            last = (error as Error).message;
        }
        await new Promise((r) => setTimeout(r, intervalMs));
    }
    throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last: ${last})`);
}
