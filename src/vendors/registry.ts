/** The explicit list of vendor adapters, built from the merged configuration. */
import type { AppConfig } from '../config/schema.js';
import { createAliyunAdapter, type AliyunApi } from './aliyun/index.js';
import type { VendorAdapter, VendorId } from './types.js';

export function buildAdapters(c: AppConfig, only: readonly VendorId[]): VendorAdapter[] {
  const want = (v: VendorId) => c.vendors[v].enabled && (only.length === 0 || only.includes(v));
  const out: VendorAdapter[] = [];
  if (want('aliyun')) {
    const a = c.vendors.aliyun;
    out.push(
      createAliyunAdapter({
        endpoint: a.endpoint,
        accessKeyId: a.accessKeyId,
        domains: a.domains,
        apis: a.apis as AliyunApi[],
        signatureVersion: a.signatureVersion as 'acs3' | 'rpc',
        ratePerSec: a.ratePerSec,
        realTimeSettleMs: a.realTimeSettleMs,
        srcTrafficSettleMs: a.srcTrafficSettleMs,
      }),
    );
  }
  return out;
}
