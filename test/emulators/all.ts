/** Starts every vendor emulator with demo accounts; returns the config and env that point the collector at them. */
import { AliyunEmulator } from './aliyun.js';

export const DEMO = {
  aliyun: { ak: 'LTAI-demo-access-key', secret: 'demo-secret-aliyun', domains: ['img.example.com', 'video.example.com', 'static.example.com'] },
};

export async function startDemoVendors(): Promise<{ config: Record<string, unknown>; env: Record<string, string>; stop: () => Promise<void>; aliyun: AliyunEmulator }> {
  const aliyun = new AliyunEmulator({ accounts: { [DEMO.aliyun.ak]: { secret: DEMO.aliyun.secret, domains: DEMO.aliyun.domains, offline: ['old.example.com'] } } });
  const aliyunUrl = await aliyun.start();
  return {
    aliyun,
    config: {
      vendors: {
        aliyun: { enabled: true, endpoint: aliyunUrl, domains: [] },
      },
    },
    env: { ALIBABA_CLOUD_ACCESS_KEY_ID: DEMO.aliyun.ak, ALIBABA_CLOUD_ACCESS_KEY_SECRET: DEMO.aliyun.secret },
    stop: async () => {
      await aliyun.stop();
    },
  };
}
