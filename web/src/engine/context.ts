// The per-lab context: the wasm module, a reusable staging area on its heap, status checking
// and handle bookkeeping. Internal: nothing here is part of the public API.
import type { BnLabModule, Limits, StatusCode } from '../wasm/module.js';

/** An opaque token that ties objects to the lab that made them. */
export interface LabContext {
  readonly __labContext: true;
}

export interface Ctx extends LabContext {
  readonly mod: BnLabModule;
  /**
   * Copies the arrays onto the wasm heap (one reusable block), calls `use` with their byte
   * offsets and returns what it returns. A block larger than KEEP_STAGING_BYTES is freed when
   * `use` ends, normally or by throwing, so one large call does not keep its memory for the
   * lab's lifetime.
   */
  staged<T>(arrays: readonly Staged[], use: (offsets: number[]) => T): T;
  /** Copies `length` floats out of the heap at byte offset `ptr`. */
  copyOut(ptr: number, length: number): Float32Array;
  /** Copies `length` int32 values out of the heap at byte offset `ptr`. */
  copyOutInt(ptr: number, length: number): Int32Array;
  /** Writes `data` into the heap at byte offset `ptr`. */
  copyIn(ptr: number, data: Float32Array): void;
  /** The engine's limits (cpp/base/limits.h), read once per lab. */
  readonly limits: Readonly<Limits>;
  /**
   * Throws a RangeError when the heap has no room for a call (cpp/base/memory.h): asked before
   * every call into the engine, so that a full heap refuses calls instead of aborting the module.
   */
  room(): void;
  /** Throws the JS error matching an engine status other than Ok, with lastStatus()'s message. */
  check(code: StatusCode): void;
  /** A factory's result, or the JS error matching the status it failed with. */
  made<T>(raw: T | null): T;
  readonly registry: FinalizationRegistry<{ delete(): void }>;
  live: number;
}

/** What can be staged: an array's values, or a number of bytes reserved for an output. */
export type Staged = Float32Array | Float64Array | Int32Array | Uint8Array | number;

/** The staging block kept between calls; larger ones are freed after the call that needed them. */
export const KEEP_STAGING_BYTES = 1 << 20;

export function asCtx(c: LabContext): Ctx {
  return c as Ctx;
}

export function createContext(mod: BnLabModule): Ctx {
  let raw = 0; // what malloc returned (freed later)
  let block = 0; // raw rounded up to 16 bytes: where staging starts
  let blockBytes = 0;
  const release = () => {
    if (raw) mod._free(raw);
    raw = 0;
    block = 0;
    blockBytes = 0;
  };
  // The one place where engine status codes become JS error classes.
  const throwStatus = (code: StatusCode, message: string): never => {
    if (code === mod.StatusCode.TypeError) throw new TypeError(message);
    if (code === mod.StatusCode.RangeError || code === mod.StatusCode.OutOfMemory) throw new RangeError(message);
    throw new Error(message);
  };
  const ctx: Ctx = {
    __labContext: true,
    mod,
    limits: Object.freeze(mod.limits()),
    live: 0,
    // Leaked handles (never disposed) are deleted when JS collects them, so a forgotten dispose()
    // costs memory only until the next collection.
    registry: new FinalizationRegistry((raw) => {
      raw.delete();
      ctx.live--;
    }),
    staged(arrays, use) {
      // Each array starts on a 16-byte boundary (SIMD loads); a number reserves that many bytes.
      let total = 0;
      const sizes = arrays.map((a) => {
        const bytes = typeof a === 'number' ? a : a.byteLength;
        const padded = (bytes + 15) & ~15;
        total += padded;
        return padded;
      });
      if (total > blockBytes) {
        release();
        // 16 extra bytes to round the start up to a 16-byte boundary (malloc gives 8).
        const next = mod._malloc(Math.max(total, 256) + 16);
        if (!next) throw new RangeError(`cannot allocate ${total} bytes on the wasm heap`);
        raw = next;
        block = (next + 15) & ~15;
        blockBytes = Math.max(total, 256);
      }
      const offsets: number[] = [];
      let at = block;
      arrays.forEach((a, i) => {
        offsets.push(at);
        if (a instanceof Float32Array) mod.HEAPF32.set(a, at >> 2);
        else if (a instanceof Int32Array) mod.HEAP32.set(a, at >> 2);
        else if (a instanceof Float64Array) mod.HEAPF64.set(a, at >> 3);
        else if (a instanceof Uint8Array) mod.HEAPU8.set(a, at);
        at += sizes[i]!;
      });
      try {
        return use(offsets);
      } finally {
        if (blockBytes > KEEP_STAGING_BYTES) release();
      }
    },
    copyOut(ptr, length) {
      // A copy, never a view: memory growth would detach a view without warning.
      return mod.HEAPF32.slice(ptr >> 2, (ptr >> 2) + length);
    },
    copyOutInt(ptr, length) {
      return mod.HEAP32.slice(ptr >> 2, (ptr >> 2) + length);
    },
    copyIn(ptr, data) {
      mod.HEAPF32.set(data, ptr >> 2);
    },
    room() {
      if (!mod.room()) {
        throw new RangeError(
          `the wasm heap is full (${mod.heapUsed()} bytes in use): dispose() objects you no longer need, then try again`,
        );
      }
    },
    check(code) {
      if (code === mod.StatusCode.Ok) return;
      throwStatus(code, mod.lastStatus().message);
    },
    made<T>(raw: T | null): T {
      if (raw !== null) return raw;
      const status = mod.lastStatus();
      return throwStatus(status.code, status.message);
    },
  };
  return ctx;
}

const handles = new WeakMap<object, { ctx: Ctx; raw: { delete(): void } | null; what: string }>();

/**
 * An object that owns one engine object: registered for cleanup when collected, freed by
 * dispose(), and unusable afterwards (every use then throws the API's Error).
 */
export abstract class Handle<R extends { delete(): void }> {
  protected constructor(context: LabContext, raw: R, what: string) {
    const ctx = asCtx(context);
    handles.set(this, { ctx, raw, what });
    ctx.registry.register(this, raw, this);
    ctx.live++;
  }

  /** Frees the engine object. Idempotent; any later use throws an Error. */
  dispose(): void {
    const s = handles.get(this);
    if (!s || !s.raw) return;
    s.ctx.registry.unregister(this);
    s.raw.delete();
    s.raw = null;
    s.ctx.live--;
  }

  /** True once dispose() has run. */
  get disposed(): boolean {
    return !handles.get(this)?.raw;
  }

  /**
   * dispose(), for `using bn = new lab.BatchNorm1d(1)`. Only declared here (defined below, at run
   * time, where the runtime has Symbol.dispose), so that the published types declare it.
   */
  declare [Symbol.dispose]: () => void;
}

// The published declarations name Symbol.dispose; consumers whose `lib` has no
// "esnext.disposable" still compile against them (TypeScript merges this with its own lib's).
declare global {
  interface SymbolConstructor {
    readonly dispose: unique symbol;
  }
}

// `using` support where the runtime has Symbol.dispose (Node 20, recent browsers): defined at run
// time rather than in the class body, so that the published types do not require consumers to
// compile with lib "esnext.disposable", and an older runtime never gets a method named "undefined".
const disposeSymbol = (Symbol as { dispose?: symbol }).dispose;
if (typeof disposeSymbol === 'symbol') {
  Object.defineProperty(Handle.prototype, disposeSymbol, {
    value(this: Handle<{ delete(): void }>) {
      this.dispose();
    },
    writable: true,
    configurable: true,
  });
}

/**
 * The context and live engine object of a handle. Throws TypeError when `h` is not a handle of
 * this kind, Error after dispose(); `name` is how messages refer to it. @internal
 */
export function liveHandle<R extends { delete(): void }>(h: unknown, name?: string): { ctx: Ctx; raw: R } {
  const s = typeof h === 'object' && h !== null ? handles.get(h) : undefined;
  if (!s) throw new TypeError(`${name ?? 'this object'} is not a batchnorm-lab object`);
  if (!s.raw) throw new Error(`${name ?? `this ${s.what}`} was used after dispose()`);
  s.ctx.room();
  return { ctx: s.ctx, raw: s.raw as R };
}
