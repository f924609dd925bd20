// Where an element of a row-major array lives, for the kernel sources (not a public header).
#pragma once

#include <cstddef>

namespace bn::kernels {
// Internal linkage, as for every helper of the kernel sources: each source keeps its own copy,
// which the inliner treats like a function of that file.
namespace {

// Element (row, col) of a (rows, cols) array.
inline size_t idx(int row, int col, int cols) {
  return static_cast<size_t>(row) * static_cast<size_t>(cols) + static_cast<size_t>(col);
}

// Element (n, c, s) of an (N,C,S) tensor.
inline size_t at(int n, int c, int s, int C, int S) {
  return (static_cast<size_t>(n) * static_cast<size_t>(C) + static_cast<size_t>(c)) *
             static_cast<size_t>(S) + static_cast<size_t>(s);
}

}  // namespace
}  // namespace bn::kernels
