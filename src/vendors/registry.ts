/** The explicit list of vendor adapters, built from the merged configuration. */
import type { AppConfig } from '../config/schema.js';
import { createAliyunAdapter, type AliyunApi } from './aliyun/index.js';
import { createHuaweiAdapter, type HuaweiApi } from './huawei/index.js';
import { createTencentAdapter, type TencentInterval, type TencentMetric } from './tencent/index.js';
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
  if (want('tencent')) {
    const t = c.vendors.tencent;
    out.push(
      createTencentAdapter({
        endpoint: t.endpoint,
        secretId: t.secretId,
        domains: t.domains,
        metrics: t.metrics as TencentMetric[],
        interval: t.interval as TencentInterval,
        area: t.area as 'mainland' | 'overseas',
        ratePerSec: t.ratePerSec,
        settleMs: t.settleMs,
      }),
    );
  }
  if (want('huawei')) {
    const h = c.vendors.huawei;
    out.push(
      createHuaweiAdapter({
        endpoint: h.endpoint,
        ak: h.ak,
        projectId: h.projectId,
        domains: h.domains,
        apis: h.apis as HuaweiApi[],
        ratePerSec: h.ratePerSec,
        settleMs: h.settleMs,
      }),
    );
  }
  return out;
}
