// Internals shared by the fp32 (gemm.cc) and bfloat16 (gemm_bf16.cc) products: the micro-kernel interface and the
// blocked driver, which only moves 32-bit words (a float, or a pair of bfloat16 values along K).
#pragma once
#include <cstdint>

namespace gh {
namespace detail {

// A access modes of a micro-kernel (see gemm.cc): packed micro-panel, row-major in place, transposed in place.
enum AMode { kAPacked = 0, kARow = 1, kACol = 2 };

using KernelFn = void (*)(int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
                          int64_t ldc, int m, int n, bool add);

// Copies an m×kc slice of op(A) (starting at `a`, already offset to the block's origin) into an MR-interleaved
// micro-panel dst[k*MR + i], zero-padding rows m..MR-1. Same for B with NR-interleaved columns.
using PackFn = void (*)(const float* src, int64_t ld, bool trans, int rows, int64_t kc, float* dst);

struct Isa {
  const char* name;
  int mr, nr;
  KernelFn kern[3][2];  // [AMode][B packed]
  PackFn pack_a, pack_b;
};

// C = op(A)·op(B) (+ C) over K 32-bit elements with the given kernels (see sgemm in gemm.h for the operands).
void gemm_driver(const Isa& I, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, bool transA,
                 const float* B, int64_t ldb, bool transB, float* C, int64_t ldc, bool accumulate);

// The AVX-512 fp32 kernels (8×32), or nullptr off x86-64. The bf16 kernels reuse its 32-bit packing routines.
const Isa* isa_avx512();

}  // namespace detail
}  // namespace gh
