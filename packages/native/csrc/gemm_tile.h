// Pieces shared by the fp32 AVX-512 micro-kernel (gemm.cc) and the bf16 one (gemm_bf16.cc): how a kernel reads
// op(A), and the masked epilogue that writes an MR×32 accumulator tile to C.
#pragma once
#include <cstdint>

#include "gemm_detail.h"

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#endif

namespace gh {
namespace detail {

// Element (row i, k) of op(A) in the kernel's A access mode (see gemm.cc's micro-kernel interface).
template <int MR, int AM>
inline float load_a(const float* a, int64_t lda, int64_t k, int i) {
  if (AM == kAPacked) return a[k * MR + i];
  if (AM == kARow) return a[i * lda + k];
  return a[k * lda + i];
}

#if defined(__x86_64__) || defined(_M_X64)
#define GH_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,fma")))

// Lanes j < n enabled (n clamped to [0, 16]).
GH_TARGET_AVX512 inline __mmask16 mask16(int n) {
  return n >= 16 ? __mmask16(0xFFFF) : n <= 0 ? __mmask16(0) : __mmask16((1u << n) - 1);
}

// C[0:m, 0:n] = acc (add=false) or C += acc (add=true) for an MR×32 tile held as two 16-lane halves per row; only
// the valid part is read or written.
template <int MR>
GH_TARGET_AVX512 __attribute__((always_inline)) inline void store_tile(const __m512 (&c0)[MR], const __m512 (&c1)[MR],
                                                                       float* c, int64_t ldc, int m, int n, bool add) {
  const __mmask16 m0 = mask16(n), m1 = mask16(n - 16);
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) {
    if (i >= m) break;
    float* ci = c + i * ldc;
    __m512 v0 = c0[i], v1 = c1[i];
    if (add) {
      v0 = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, ci), v0);
      v1 = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, ci + 16), v1);
    }
    _mm512_mask_storeu_ps(ci, m0, v0);
    _mm512_mask_storeu_ps(ci + 16, m1, v1);
  }
}
#endif

}  // namespace detail
}  // namespace gh
