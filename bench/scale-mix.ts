/** The domain mix of the scale benchmark (issue 12): Alibaba 40%, Tencent 40%, Huawei Live 10% + Huawei CDN 10%. */
export function splitDomains(n: number): { aliyun: string[]; tencent: string[]; huawei: string[]; huaweicdn: string[] } {
  const names = (p: string, k: number) => Array.from({ length: k }, (_, i) => `${p}${i}.bench.example.com`);
  const a = Math.round(n * 0.4);
  const t = Math.round(n * 0.4);
  const h = Math.round(n * 0.1);
  return { aliyun: names('a', a), tencent: names('t', t), huawei: names('h', h), huaweicdn: names('c', n - a - t - h) };
}

/** Emulator-only credentials. */
export const CREDS = {
  aliyun: { id: 'LTAIscalebench', secret: 'scale-secret-aliyun' },
  tencent: { id: 'AKIDscalebench', secret: 'scale-secret-tencent' },
  huawei: { id: 'HWSCALEAK', secret: 'scale-secret-huawei', projectId: '0123456789abcdef0123456789abcdef' },
} as const;
