import { CollectorError } from '../kernel/errors.js';
import type { VendorAdapter } from '../kernel/vendor.js';
import { exchange, vendorErrorLine, type CallDeps, type CallSettings } from './call.js';

/** Domains of a vendor account: the configured list, or all of them through the paged discovery API. */
export async function discoverDomains(deps: CallDeps, settings: CallSettings, adapter: VendorAdapter, signal?: AbortSignal): Promise<string[]> {
  if (adapter.configuredDomains.length) return [...adapter.configuredDomains];
  const found = new Set<string>();
  const counter = { retries: 0, calls: 0 };
  let cursor: number | undefined = 0;
  for (let pages = 0; cursor !== undefined && pages < 10_000; pages++) {
    const c: number = cursor;
    const out = await exchange(deps, settings, adapter, adapter.discovery.api, adapter.discovery.rateKey, counter, signal, (ctx) => adapter.discovery.buildPage(c, ctx), (res) => adapter.discovery.parsePage(c, res));
    if (!out.ok) throw new CollectorError(out.error.vendorCode === 'Stopped' ? 'stopped' : 'vendor', vendorErrorLine(adapter.module, adapter.discovery.api, adapter.account, [], out.error).replace(' : ', ': '));
    for (const d of out.domains) found.add(d);
    cursor = out.next;
  }
  return [...found].sort();
}
