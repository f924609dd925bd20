#!/usr/bin/env python3
"""Writes the hand-made seeds of tests/fuzz/corpus/dataset: small valid BNDS files and the edge
cases of every header field (see cpp/data/dataset.h for the format). The corpora of the other
harnesses (layers, trainer) are programs in the harnesses' own byte encoding; they were grown by
the fuzzers from these and minimised with -merge=1 (scripts/fuzz.sh --merge)."""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'corpus', 'dataset')


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
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), 'wb') as f:
            f.write(data)
    print(f'{len(seeds)} seeds in {os.path.relpath(OUT)}', file=sys.stderr)


if __name__ == '__main__':
    main()
