// Regenerates native/gen/constants.h from src/transport/constants.ts (run `npm run build` first).
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const { renderNativeHeader } = await import(join(root, 'dist/src/transport/constants.js'));
writeFileSync(join(root, 'native/gen/constants.h'), renderNativeHeader());
console.log('wrote native/gen/constants.h');
