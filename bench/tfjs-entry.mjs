// The TF.js modules the benchmark uses, bundled by bench/tfjs.mjs into one CommonJS file:
// tfjs-core's Node build leaves out the gradient functions (the @tensorflow/tfjs union package
// registers them), so core, its gradients and both backends are bundled from their ES modules
// into one instance, as an application's bundler would.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import * as tfwasm from '@tensorflow/tfjs-backend-wasm';

export { tf, tfwasm };
