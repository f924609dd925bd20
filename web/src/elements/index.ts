// Registers every <bn-*> element of the lesson. One module script is enough for a page:
//   <script type="module" src=".../dist/elements/index.js"></script>
// Each element file also registers itself, so importing a single one works too.
export { BnStandardize } from './bn-standardize.js';
export { BnAlgorithm } from './bn-algorithm.js';
export { BnWorkedExample } from './bn-worked-example.js';
export { BnGammaBeta } from './bn-gamma-beta.js';
export { BnQuiz } from './bn-quiz.js';
export { BnTrainEval } from './bn-train-eval.js';
export { Bn1dVs2d } from './bn-1d-vs-2d.js';
export { BnCode } from './bn-code.js';
export { BnBatchNoise } from './bn-batch-noise.js';
export { BnPlacement } from './bn-placement.js';
export { BnSmallBatches } from './bn-small-batches.js';
export { BnCnn } from './bn-cnn.js';
export { BnLandscape } from './bn-landscape.js';
export { pageLab } from './base/page-lab.js';
// The training lab (its own file and stylesheet, built alongside).
import './training-lab/bn-training-lab.js';
