/** Starts every vendor emulator with demo accounts; returns the config and env that point the collector at them. */
import { AliyunEmulator } from './aliyun.js';
import { HuaweiEmulator } from './huawei.js';
import { TencentEmulator } from './tencent.js';

export const DEMO = {
  aliyun: { ak: 'LTAI-demo-access-key', secret: 'demo-secret-aliyun', domains: ['img.example.com', 'video.example.com', 'static.example.com'] },
  tencent: { id: 'AKID-demo', key: 'demo-secret-tencent', domains: ['www.example.cn', 'api.example.cn', 'dl.example.cn'] },
  huawei: { ak: 'HWDEMOAK', sk: 'demo-secret-huawei', projectId: '0123456789abcdef0123456789abcdef', domains: ['live.example.com', 'play.example.com'] },
};

export interface DemoVendors {
  config: { vendors: Record<string, Record<string, unknown>> };
  env: Record<string, string>;
  stop: () => Promise<void>;
  aliyun: AliyunEmulator;
  tencent: TencentEmulator;
  huawei: HuaweiEmulator;
}

/** Where the demo vendors listen: loopback and free ports unless given (the Compose demo needs fixed ports on 0.0.0.0). */
export interface DemoListen {
  host?: string;
  ports?: Partial<Record<'aliyun' | 'tencent' | 'huawei', number>>;
}

export async function startDemoVendors(listen: DemoListen = {}): Promise<DemoVendors> {
  const aliyun = new AliyunEmulator({ accounts: { [DEMO.aliyun.ak]: { secret: DEMO.aliyun.secret, domains: DEMO.aliyun.domains, offline: ['old.example.com'] } } });
  const tencent = new TencentEmulator({ accounts: { [DEMO.tencent.id]: { secretKey: DEMO.tencent.key, domains: [...DEMO.tencent.domains.map((domain) => ({ domain })), { domain: 'gone.example.cn', status: 'offline' }] } } });
  const huawei = new HuaweiEmulator({
    accounts: { [DEMO.huawei.ak]: { sk: DEMO.huawei.sk, projectId: DEMO.huawei.projectId, domains: [...DEMO.huawei.domains.map((domain) => ({ domain })), { domain: 'push.example.com', type: 'push' }] } },
  });
  const p = listen.ports ?? {};
  const [a, t, h] = await Promise.all([aliyun.server.start(p.aliyun ?? 0, listen.host), tencent.server.start(p.tencent ?? 0, listen.host), huawei.server.start(p.huawei ?? 0, listen.host)]);
  return {
    aliyun,
    tencent,
    huawei,
    config: {
      vendors: {
        aliyun: { enabled: true, endpoint: a, domains: [] },
        tencent: { enabled: true, endpoint: t, domains: [] },
        huawei: { enabled: true, endpoint: h, domains: [], apis: ['stats/traffic/detail', 'stream/traffic'] },
      },
    },
    env: {
      ALIBABA_CLOUD_ACCESS_KEY_ID: DEMO.aliyun.ak,
      ALIBABA_CLOUD_ACCESS_KEY_SECRET: DEMO.aliyun.secret,
      TENCENTCLOUD_SECRET_ID: DEMO.tencent.id,
      TENCENTCLOUD_SECRET_KEY: DEMO.tencent.key,
      HUAWEICLOUD_SDK_AK: DEMO.huawei.ak,
      HUAWEICLOUD_SDK_SK: DEMO.huawei.sk,
      HUAWEICLOUD_SDK_PROJECT_ID: DEMO.huawei.projectId,
    },
    stop: async () => {
      await Promise.all([aliyun.stop(), tencent.stop(), huawei.stop()]);
    },
  };
}
