/** Writes config/default.json from the schema's defaults (run after changing src/config/schema.ts or a vendor module). */
import { writeFileSync } from 'node:fs';
import { buildSchema } from '../src/config/schema.js';
import { MODULES } from '../src/vendors/registry.js';

const s = buildSchema(MODULES, {});
writeFileSync(new URL('../config/default.json', import.meta.url), JSON.stringify(s.getProperties(), null, 2) + '\n');
