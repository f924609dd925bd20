// The datasets the elements offer, listed once: the engine's four toy sets in its own order, then
// the handwritten digits. The training lab, <bn-batch-noise>, <bn-placement> and the page's URL
// state all take their choices (and the words shown for them) from here.
import { TOY_KINDS, type ToyKind } from '../../engine/datasets.js';

export type DatasetName = ToyKind | 'digits';
export const DATASETS: readonly DatasetName[] = [...TOY_KINDS, 'digits'];

/** Words shown for each dataset. */
export const DATASET_TEXT: Record<DatasetName, string> = {
  circle: 'circle', xor: 'xor', gauss: 'two gaussians', spiral: 'spiral', digits: 'digits (8×8)',
};

export const isToy = (d: DatasetName): d is ToyKind => d !== 'digits';
