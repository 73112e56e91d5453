/**
 * Generates corpus/http1-response/ seeds from the response vectors in test/vectors/http1/.
 * Run after `npm run build`: `node dist/fuzz/seeds/http1-response.js`. Replaces the folder's contents.
 */
import { writeSeeds } from './http1-request.js';

console.log(`corpus/http1-response: ${writeSeeds('response')} seeds`);
