/**
 * The `scheduled` handler: a cron trigger refreshes every issuer's key set and, through the
 * cache, its KV copy, so isolates that start later find a fresh set in KV and never wait on
 * the provider.
 */
import { gateFor, withContext } from './gate.ts';
import { refreshLine } from './log.ts';

/** Refreshes every configured issuer's key set and writes one log line with the results. */
export async function handleScheduled(env: object, ctx: ExecutionContext): Promise<void> {
  const started = Date.now();
  const gate = gateFor(env);
  // A broken configuration was already logged once by gateFor; there is nothing to refresh.
  if (!gate.ok) return;

  const results = await withContext(ctx, () => gate.keys.refreshAll());
  console.log(refreshLine(results, Date.now() - started));
  gate.reportKeySets();
}
