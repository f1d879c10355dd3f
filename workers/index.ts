/**
 * The Cloudflare Worker: a JWT gate in front of an origin. `fetch` checks each request with the
 * core in `shared/` and forwards the allowed ones with the verified identity attached;
 * `scheduled` keeps the KV copy of the key sets fresh. Configuration comes from `env`
 * (`wrangler.toml` `[vars]`), see the README's configuration reference.
 */
import { handleFetch } from './handler.ts';
import { handleScheduled } from './scheduled.ts';

export default {
  fetch(request, env, ctx) {
    return handleFetch(request, env, ctx);
  },

  async scheduled(_controller, env, ctx) {
    await handleScheduled(env, ctx);
  },
} satisfies ExportedHandler<Env>;
