#!/usr/bin/env python3
"""Writes the hand-made seeds of the fuzzing corpora:
 - tests/fuzz/corpus/dataset: small valid BNDS files and the edge cases of every header field (see
   cpp/data/dataset.h for the format);
 - tests/fuzz/corpus/layers and corpus/trainer: a few programs, in the harnesses' own byte encoding
   (fuzz_input.h, fuzz_layers.cpp, fuzz_trainer.cpp), that reach the CNN and normalization paths
   (Conv2d, LayerNorm, GroupNorm, the pools, Flatten in a Sequential; CNN trainers with a norm per
   block), named cnn-*; the rest of those corpora was grown by the fuzzers and minimised with
   -merge=1 (scripts/fuzz.sh --merge);
 - tests/fuzz/crashes/<corpus>: the programs of the findings that were written by hand here rather
   than found (a reproducer for each).
Run it after changing an encoding: python3 tests/fuzz/make_seeds.py"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'corpus', 'dataset')


class Program:
    """The bytes that make fuzz::Input return the values listed, read by read."""

    def __init__(self):
        self.b = bytearray()

    def u8(self, v):
        assert 0 <= v < 256
        self.b.append(v)
        return self

    def bool(self, v):
        return self.u8(1 if v else 0)

    def u64(self, v):
        self.b += struct.pack('<Q', v)
        return self

    def small_double(self, mant, exp10):
        """any_double()'s "reasonable" mode: mant·10^exp10 (mant in [-128, 127], exp10 in [-6, 6])."""
        return self.u8(160).u8(mant & 0xFF).u8(exp10 + 6)

    def floats_small(self, values):
        """fill_floats() in mode 1: each value is an int8 / 16."""
        self.u8(1).u8(0)
        for v in values:
            self.u8(int(v) & 0xFF)
        return self

    def floats_near(self, n, seed):
        """fill_floats() in mode 3: 1e4 + int8 / 128 (BatchNorm's hard case)."""
        self.u8(3).u8(0)
        for i in range(n):
            self.u8((i * 37 + seed * 11) % 256)
        return self


def pattern(n, seed):
    return [((i * 29 + seed * 13) % 97) - 48 for i in range(n)]


# ---- fuzz_layers programs --------------------------------------------------------------------
# Layer bytes: 192 + 0 LayerNorm, 1 GroupNorm, 2 Conv2d, 3 MaxPool2d, 4 AvgPool2d, 5 Flatten;
# below 192, x % 6: 0 Linear, 1-2 BatchNorm, 3 ReLU, 4 Sigmoid, 5 Tanh. Ops: x % 12.
FORWARD, BACKWARD, MODE, ZERO_GRAD, STATE, DISPOSE, SGD = 0, 3, 5, 6, 7, 9, 10
FIT = 0x40  # the shape byte's bit that makes the shape fit the first layer


def conv(p, cin, cout, k, stride, padding, bias=True, seed=None):
    """Conv2d with cin, cout in 1..4, k in 1..5, stride in 1..3, padding in 0..3, or an edge value
    given as ('edge', index into the harness's list: kernel {0, -1, INT_MIN, INT_MAX, 32768, 32769,
    9, 15}, padding {-1, 7, 20, 2^20, 2^20 + 1, INT_MAX, INT_MIN})."""
    p.u8(194)
    p.u8(cin - 1).u8(cout - 1)
    if isinstance(k, tuple):
        p.u8(224).u8(k[1])
    else:
        p.u8(k - 1)
    p.u8(stride - 1)
    if isinstance(padding, tuple):
        p.u8(200).u8(padding[1])
    else:
        p.u8(padding)
    p.bool(bias).bool(seed is not None)
    if seed is not None:
        p.u8(0)  # not a raw seed
    p.u64(seed or 0)


def forward(p, target, rank, dims, data):
    p.u8(FORWARD).u8(target).u8(FIT | (rank - 1))
    for d in dims:
        p.u8(d - 1)
    data(p)


def backward(p, target, n, seed):
    p.u8(BACKWARD).u8(target).floats_small(pattern(n, seed))


def layer_programs():
    progs = {}

    # Conv2d(1, 2, 3, padding 1) → GroupNorm(2, 2) → MaxPool2d(2) → Flatten in a Sequential:
    # forward [4, 1, 6, 6], backward, SGD with momentum, eval, a state write, forward again.
    p = Program().u8(3)
    conv(p, 1, 2, 3, 1, 1, seed=5)
    p.u8(193).u8(1).u8(1).bool(False).bool(False).bool(True)        # GroupNorm(2, 2)
    p.u8(195).u8(0).u8(1).bool(True)                                  # MaxPool2d(2)
    p.u8(197)                                                         # Flatten
    forward(p, 0, 4, [4, 1, 6, 6], lambda q: q.floats_small(pattern(144, 1)))
    backward(p, 0, 4 * 18, 2)
    p.u8(SGD).small_double(1, -1).bool(True).small_double(9, -1).bool(False).bool(False).bool(False)
    p.u8(SGD).u8(200).u8(0)                                           # step
    p.u8(MODE).u8(0).bool(False)                                      # eval
    p.u8(STATE).u8(1).u8(0)                                           # the conv's weight: 18 values
    for v in pattern(18, 3):
        p.u8(1).u8(v & 0xFF)
    forward(p, 0, 4, [2, 1, 5, 5], lambda q: q.floats_near(50, 4))
    backward(p, 0, 2 * 8, 5)
    progs['cnn-conv-groupnorm-maxpool-flatten'] = bytes(p.b)

    # LayerNorm([2, 3, 3]) and GroupNorm(2, 2, eps 1e-3, no affine) in a Sequential; each child
    # is also run on its own between the model's forward and backward.
    p = Program().u8(1)
    p.u8(192).u8(2).u8(1).u8(2).u8(2).u8(0).bool(False).bool(True)  # LayerNorm([2, 3, 3])
    p.u8(193).u8(1).u8(1).bool(False).bool(True).small_double(1, -3).bool(False)
    forward(p, 0, 4, [3, 1, 1, 1], lambda q: q.floats_near(54, 6))
    forward(p, 2, 2, [5, 1, 1, 1], lambda q: q.floats_small(pattern(10, 7)))
    backward(p, 2, 10, 8)
    backward(p, 0, 54, 9)
    p.u8(MODE).u8(0).bool(False)
    forward(p, 1, 3, [1, 1, 1, 1], lambda q: q.floats_small(pattern(18, 10)))
    backward(p, 1, 18, 11)
    p.u8(STATE).u8(1).u8(1)                                           # LayerNorm's bias
    for v in pattern(18, 12):
        p.u8(1).u8(v & 0xFF)
    p.u8(ZERO_GRAD).u8(0)
    progs['cnn-layernorm-groupnorm'] = bytes(p.b)

    # MaxPool2d(2, stride 1), AvgPool2d(3), Flatten: the pools with overlapping and disjoint
    # windows, ties (a constant input), then the model after its first layer's handle is disposed.
    p = Program().u8(2)
    p.u8(195).u8(0).u8(1).bool(False).u8(0)                          # MaxPool2d(2, stride 1)
    p.u8(196).u8(0).u8(2).bool(True)                                  # AvgPool2d(3)
    p.u8(197)
    forward(p, 0, 4, [2, 3, 7, 7], lambda q: q.floats_small(pattern(294, 13)))
    backward(p, 0, 2 * 3 * 4, 14)
    forward(p, 1, 3, [2, 4, 4, 1], lambda q: q.u8(2).u8(24))         # constant: ties everywhere
    backward(p, 1, 2 * 9, 15)
    forward(p, 2, 3, [3, 6, 6, 1], lambda q: q.floats_small(pattern(108, 16)))
    backward(p, 2, 3 * 2 * 2, 17)
    p.u8(DISPOSE).u8(0).u8(0)                                         # (any target) the MaxPool2d's own handle
    forward(p, 0, 4, [1, 2, 7, 7], lambda q: q.floats_small(pattern(98, 18)))
    backward(p, 0, 8, 19)
    progs['cnn-pools-flatten'] = bytes(p.b)

    # Conv2d(3, 2, 3, stride 2, padding 2, no bias) alone, on [3, H, W] and on [N, 3, H, W].
    p = Program().u8(0)
    conv(p, 3, 2, 3, 2, 2, bias=False, seed=9)
    p.bool(False)                                                     # no Sequential
    forward(p, 0, 3, [1, 5, 4, 1], lambda q: q.floats_small(pattern(60, 19)))
    backward(p, 0, 2 * 4 * 3, 20)
    forward(p, 0, 4, [2, 1, 3, 3], lambda q: q.floats_small(pattern(54, 21)))
    backward(p, 0, 2 * 2 * 3 * 3, 22)
    p.u8(STATE).u8(0).u8(0)
    for v in pattern(54, 23):
        p.u8(1).u8(v & 0xFF)
    backward(p, 0, 2 * 2 * 3 * 3, 24)
    progs['cnn-conv-stride-padding-no-bias'] = bytes(p.b)
    return progs


def layer_crashes():
    # Conv2d(1, 1, 15, padding 7): a "same" convolution whose padding is larger than the plane
    # (2 × 2); the kernel taps below the image are not recognised as all-padding.
    p = Program().u8(0)
    conv(p, 1, 1, ('edge', 7), 1, ('edge', 1), seed=1)               # kernel 15, padding 7
    p.bool(False)
    forward(p, 0, 4, [1, 1, 2, 2], lambda q: q.floats_small([1, 2, 3, 4]))
    return {'conv-same-padding-wider-than-plane-oob': bytes(p.b)}


# ---- fuzz_trainer programs -------------------------------------------------------------------
def image_set(p, h, w, classes, count, n_train):
    p.u8(h - 1).u8(w - 1).u8(classes - 2).u8(count - 3).u8(n_train - 2)
    for i in range(count * h * w):
        p.u8((i * 53 + (i // (h * w)) * 17) % 256)
    for i in range(count):
        p.u8(i % classes)


def trainer(p, sizes, cnn, batch=8, lr=(1, -1), momentum=(9, -1), eval_every_pick=4, watch=(4, 1), ops=()):
    """Everything after the datasets: sizes (fitted to the data), options, the CNN part, the ops."""
    p.u8(0).u8(len(sizes) - 2)
    for s in sizes:
        p.u8(s - 1)
    p.u8(0).u8(0)                                 # fit sizes[0] and the classes to the data
    p.u8(0).bool(False).u8(0).u8(0).bool(False)   # relu, no batchNorm flag, before, torch init, scale 1
    p.u64(1).bool(False)                          # seed, bnMomentum 0.1
    if cnn is None:
        p.u8(0)
    else:
        p.u8(200)
        convs, shape_byte, kernel_pick, pool, groups_pick, norms_pick, norms = cnn
        p.u8(len(convs))
        for c in convs:
            p.u8(c - 1)
        p.u8(shape_byte)
        if 160 <= shape_byte < 200:
            p.bool(False)
        p.u8(kernel_pick).u8(pool).u8(groups_pick).u8(norms_pick)
        for k in norms:
            p.u8(k)
    p.u8(0).u8(batch - 2)
    p.bool(True).small_double(*lr).bool(True).small_double(*momentum).bool(False).bool(False).bool(False)
    p.u64(2)
    p.u8(eval_every_pick).u8(0).u8(watch[0]).u8(watch[1]).bool(False)
    for op in ops:
        op(p)


def run(steps):
    return lambda p: p.u8(0).u8(0).u8(steps)


def evaluate(p):
    p.u8(2).bool(True).u8(0)


def histograms(p):
    p.u8(4).u8(2).bool(False).bool(False)


def model_forward(rows, features):
    return lambda p: p.u8(6).u8(rows - 1).floats_small(pattern(rows * features, rows))


NONE, BATCH, LAYER, GROUP = 0, 1, 2, 3
# The image-shape byte: below 160, an image set's [1, H, W]; 160..199 (then a flag byte), [1, 1, D].
# Picks: kernel {3, 3, 1, 5, 7, 15, 2, 0, 17, 2.5, -1}; pool x % 3 {max, avg, none};
# groups {2, 1, 2, 4, 3, 0, -1, 1.5, 1025}; norm count {1, 1, blocks, blocks, 0, blocks + 1}.


def trainer_programs():
    progs = {}
    # conv [2, 4] (3 × 3, max pool) on 4 × 4 images, BatchNorm2d, GroupNorm(2) and LayerNorm per
    # block, watching channel 1 of the second block; run, evaluate, histograms, a model forward.
    p = Program().u8(2)
    image_set(p, 4, 4, 3, 40, 32)
    p.bool(True)
    trainer(p, [16, 8, 3], ([2, 4], 0, 0, 0, 0, 2, [BATCH, GROUP, LAYER]),
            ops=[run(10), evaluate, histograms, model_forward(4, 16), run(5)])
    progs['cnn-trainer-conv2-4-batch-group-layer'] = bytes(p.b)

    # conv [3] with average pooling, kernel 1, LayerNorm everywhere (one entry), on 3 × 4 images.
    p = Program().u8(2)
    image_set(p, 3, 4, 2, 30, 24)
    p.bool(False)
    trainer(p, [12, 4, 2], ([3], 0, 2, 1, 1, 0, [LAYER]), watch=(2, 2),
            ops=[run(8), model_forward(3, 12), run(8), evaluate])
    progs['cnn-trainer-conv3-avgpool-k1-layernorm'] = bytes(p.b)

    # conv [2, 2] without pooling on a toy set seen as [1, 1, 2] images, GroupNorm(1) then none.
    p = Program().u8(1)
    p.u8(2).u8(40).bool(False).u64(3)               # spiral, 42 points
    p.u8(3).u8(20).bool(False).u64(4)               # the test set
    p.bool(True)
    trainer(p, [2, 4, 2], ([2, 2], 170, 0, 2, 1, 2, [GROUP, NONE, BATCH]), watch=(0, 0),
            ops=[run(10), evaluate, histograms, run(4)])
    progs['cnn-trainer-toy-nopool-group-none-batch'] = bytes(p.b)

    # An MLP with a norm per hidden layer (no conv blocks): GroupNorm(2), LayerNorm.
    p = Program().u8(1)
    p.u8(1).u8(50).bool(False).u64(5)
    p.u8(1).u8(30).bool(False).u64(6)
    p.bool(True)
    trainer(p, [2, 4, 6, 2], ([], 170, 0, 0, 0, 2, [GROUP, LAYER]), watch=(4, 1),
            ops=[run(10), evaluate, histograms])
    progs['cnn-trainer-mlp-norm-list'] = bytes(p.b)
    return progs


def trainer_crashes():
    # conv [2] with kernel 7 (padding 3) on 2 × 2 images: Conv2d's "same" shift with a padding
    # larger than the plane (the layer harness's conv-same-padding-wider-than-plane-oob).
    p = Program().u8(2)
    image_set(p, 2, 2, 2, 20, 16)
    p.bool(False)
    trainer(p, [4, 4, 2], ([2], 0, 4, 0, 0, 0, [BATCH]), ops=[run(2)])
    return {'cnn-conv-kernel7-on-2x2-oob': bytes(p.b)}


def write(folder, files):
    os.makedirs(folder, exist_ok=True)
    for name, data in files.items():
        with open(os.path.join(folder, name), 'wb') as f:
            f.write(data)
    print(f'{len(files)} files in {os.path.relpath(folder)}', file=sys.stderr)


def bnds(count, n_train, h, w, classes, max_value, pixels=None, labels=None, version=1, magic=b'BNDS', extra=b''):
    if pixels is None:
        pixels = bytes((i * 37) % (max_value + 1) for i in range(count * h * w))
    if labels is None:
        labels = bytes(i % classes for i in range(count))
    head = magic + struct.pack('<7I', version, count, n_train, h, w, classes, max_value)
    return head + bytes(pixels) + bytes(labels) + extra


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {
        # valid files
        'valid-2x1x1': bnds(2, 1, 1, 1, 2, 1),
        'valid-3x2x2-3classes': bnds(3, 2, 2, 2, 3, 255),
        'valid-5x3x2-max16': bnds(5, 4, 3, 2, 2, 16),
        'valid-4x1x7-256classes': bnds(4, 1, 1, 7, 256, 200, labels=bytes([0, 255, 128, 1])),
        'valid-6x8x8-digits-like': bnds(6, 4, 8, 8, 10, 16),
        'valid-2x1x1024-wide': bnds(2, 1, 1, 1024, 2, 255),
        'valid-2x1024x1-tall': bnds(2, 1, 1024, 1, 2, 255),
        'valid-max-equals-pixels': bnds(2, 1, 2, 2, 2, 7, pixels=bytes([7] * 8)),
        # one field wrong each
        'bad-empty': b'',
        'bad-short-header': b'BNDS\x01\x00\x00',
        'bad-magic': bnds(2, 1, 1, 1, 2, 1, magic=b'BNDs'),
        'bad-version': bnds(2, 1, 1, 1, 2, 1, version=2),
        'bad-count-1': bnds(1, 1, 1, 1, 2, 1),
        'bad-n-train-0': bnds(3, 0, 1, 1, 2, 1),
        'bad-n-train-all': bnds(3, 3, 1, 1, 2, 1),
        'bad-height-0': bnds(2, 1, 0, 1, 2, 1),
        'bad-width-1025': struct.pack('<4s7I', b'BNDS', 1, 2, 1, 1, 1025, 2, 1) + bytes(2052),
        'bad-classes-1': bnds(2, 1, 1, 1, 1, 1, labels=bytes(2)),
        'bad-classes-257': bnds(2, 1, 1, 1, 257, 1),
        'bad-max-0': bnds(2, 1, 1, 1, 2, 0, pixels=bytes(2)),
        'bad-max-256': struct.pack('<4s7I', b'BNDS', 1, 2, 1, 1, 1, 2, 256) + bytes([1, 1, 0, 1]),
        'bad-pixel-above-max': bnds(3, 2, 1, 2, 2, 9, pixels=bytes([0, 1, 2, 10, 4, 5])),
        'bad-label-above-classes': bnds(3, 2, 1, 1, 3, 1, labels=bytes([0, 3, 1])),
        'bad-truncated-pixels': bnds(4, 2, 2, 2, 2, 1)[:40],
        'bad-truncated-labels': bnds(4, 2, 2, 2, 2, 1)[:-1],
        'bad-trailing-byte': bnds(2, 1, 1, 1, 2, 1, extra=b'\x00'),
        # sizes whose products overflow 32 bits or pass kMaxElements
        'bad-huge-count': struct.pack('<4s7I', b'BNDS', 1, 0xFFFFFFFF, 1, 1024, 1024, 2, 255),
        'bad-count-wraps-u32': struct.pack('<4s7I', b'BNDS', 1, 0x00400001, 1, 32, 32, 2, 255) + bytes(64),
        'bad-pixels-over-limit': struct.pack('<4s7I', b'BNDS', 1, 65, 1, 1024, 1024, 2, 255),
    }
    write(OUT, seeds)
    write(os.path.join(HERE, 'corpus', 'layers'), layer_programs())
    write(os.path.join(HERE, 'corpus', 'trainer'), trainer_programs())
    write(os.path.join(HERE, 'crashes', 'layers'), layer_crashes())
    write(os.path.join(HERE, 'crashes', 'trainer'), trainer_crashes())


if __name__ == '__main__':
    main()
