/** The vendors this collector knows: one line each. Everything else learns about vendors from here. */
import { aliyunModule } from './aliyun/index.js';
import { huaweiModule } from './huawei/index.js';
import { huaweicdnModule } from './huaweicdn/index.js';
import { tencentModule } from './tencent/index.js';
import type { VendorModule } from '../kernel/vendor.js';

export const MODULES: readonly VendorModule[] = [aliyunModule, tencentModule, huaweiModule, huaweicdnModule];
