// Declares the Emscripten glue that `npm run build` writes next to the compiled wrapper.
import type { BnLabFactory } from './module.js';
declare const createBnLabModule: BnLabFactory;
export default createBnLabModule;
