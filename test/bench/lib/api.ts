import type { BenchServer } from './types.js';

/** JSON calls to the benchmark server as its tenant's clerk; an answer that is not 2xx throws with the server's words. */
export function apiClient(server: BenchServer): (method: string, path: string, body?: unknown) => Promise<any> {
  const headers = { authorization: `Bearer ${server.tenant.token}`, 'content-type': 'application/json' };
  return async (method, path, body) => {
    const res = await fetch(`${server.url}${path}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 400)}`);
    return JSON.parse(text) as unknown;
  };
}
