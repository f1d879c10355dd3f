/**
 * The throughput anchor: a Worker that forwards every request to `ORIGIN_URL` unchanged, the
 * least a gate in front of an origin can do.
 */
interface Env {
  ORIGIN_URL: string;
}

export default {
  fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const target = new URL(url.pathname + url.search, env.ORIGIN_URL);
    return fetch(new Request(target, request));
  },
};
