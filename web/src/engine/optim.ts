// torch.optim.SGD over every parameter of a layer or model.
import { asCtx, Handle, liveHandle, type Ctx, type LabContext } from './context.js';
import { Layer, rawOf } from './layers.js';
import type { RawSGD } from '../wasm/module.js';
import * as v from './validate.js';

export interface SGDOptions {
  /** Learning rate (required, >= 0). */
  lr: number;
  /** Momentum factor (default 0). */
  momentum?: number;
  /** Dampening for momentum (default 0). */
  dampening?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Nesterov momentum (default false; needs momentum > 0 and dampening 0). */
  nesterov?: boolean;
}

function live(o: SGD): { ctx: Ctx; raw: RawSGD } {
  return liveHandle<RawSGD>(o);
}

/**
 * Stochastic gradient descent with torch.optim.SGD's exact update rule (momentum buffer set to
 * the first gradient). Parameters never reached by a backward are skipped, as torch skips
 * parameters whose grad is None.
 */
export class SGD extends Handle<RawSGD> {
  protected constructor(context: LabContext, model: Layer, opts: SGDOptions) {
    const ctx = asCtx(context);
    if (!(model instanceof Layer)) throw new TypeError(`model must be a layer or a Sequential, got ${v.describe(model)}`);
    const { ctx: modelCtx, raw: modelRaw } = rawOf(model, 'model');
    if (modelCtx !== ctx) throw new TypeError('model was created by another lab instance');
    const o = v.options<SGDOptions>('opts', opts);
    if (o.lr === undefined) throw new TypeError('opts.lr is required (the learning rate, e.g. { lr: 0.1 })');
    const lr = v.finiteNumber('opts.lr', o.lr, 0);
    const momentum = o.momentum === undefined ? 0 : v.finiteNumber('opts.momentum', o.momentum, 0);
    const dampening = o.dampening === undefined ? 0 : v.finiteNumber('opts.dampening', o.dampening);
    const weightDecay = o.weightDecay === undefined ? 0 : v.finiteNumber('opts.weightDecay', o.weightDecay, 0);
    const nesterov = o.nesterov === undefined ? false : v.boolean('opts.nesterov', o.nesterov);
    if (nesterov && (momentum <= 0 || dampening !== 0)) {
      throw new RangeError('opts.nesterov requires opts.momentum > 0 and opts.dampening = 0');
    }
    const raw = ctx.made(ctx.mod.makeSGD(modelRaw, { lr, momentum, dampening, weightDecay, nesterov }));
    super(context, raw, 'SGD optimizer');
  }

  /** Learning rate (settable, e.g. for a schedule). */
  get lr(): number {
    return live(this).raw.lr();
  }
  set lr(value: number) {
    const { ctx, raw } = live(this);
    ctx.check(raw.setLr(v.finiteNumber('lr', value, 0)));
  }

  /** Applies one update to every parameter from its accumulated gradient. */
  step(): void {
    live(this).raw.step();
  }

  /** Sets the gradients of all optimised parameters to zero. */
  zeroGrad(): void {
    live(this).raw.zeroGrad();
  }
}
