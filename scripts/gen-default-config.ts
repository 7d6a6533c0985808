/** Writes config/default.json from the schema's defaults (run after changing src/config/schema.ts). */
import { writeFileSync } from 'node:fs';
import { buildSchema } from '../src/config/schema.js';

const s = buildSchema({});
writeFileSync(new URL('../config/default.json', import.meta.url), JSON.stringify(s.getProperties(), null, 2) + '\n');
