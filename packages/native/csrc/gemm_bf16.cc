// bfloat16 matrix product with float32 accumulation (AVX512_BF16 `vdpbf16ps`), plus the fp32 → bf16 converters.
//
// The operands are "pair matrices": 32-bit words that each hold the bfloat16 values of two consecutive k (k even in
// the low half, the odd partner, or 0 past an odd K, in the high half). `vdpbf16ps` multiplies such words lane by
// lane and adds both products to a float32 accumulator, so an MR×NR tile over kc pairs is the fp32 micro-kernel
// with k replaced by the pair index: the blocked driver, the packing and the task grid of gemm.cc are reused as
// they are (they only move 32-bit words), and so are its determinism guarantees (fixed summation order over the
// pairs, independent of thread count).
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "gemm.h"
#include "gemm_detail.h"
#include "gemm_tile.h"
#include "threadpool.h"

// The AVX512_BF16 intrinsics and __builtin_cpu_supports("avx512bf16") need GCC ≥ 12 or clang ≥ 15; older
// compilers build the fp32 fallback only (so the addon still builds everywhere it did before).
#if (defined(__x86_64__) || defined(_M_X64)) && \
    ((defined(__clang__) && __clang_major__ >= 15) || (!defined(__clang__) && defined(__GNUC__) && __GNUC__ >= 12))
#define GH_BF16_X86 1
#include <immintrin.h>
#else
#define GH_BF16_X86 0
#endif

namespace gh {
using namespace detail;
namespace {

// Round to nearest even; NaN stays a (quiet) NaN. Same rounding as `vcvtne2ps2bf16`.
inline uint16_t to_bf16(float x) {
  uint32_t bits;
  std::memcpy(&bits, &x, 4);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return uint16_t((bits >> 16) | 0x40u);
  bits += 0x7FFFu + ((bits >> 16) & 1u);
  return uint16_t(bits >> 16);
}
inline uint32_t pair(float lo, float hi) { return uint32_t(to_bf16(lo)) | (uint32_t(to_bf16(hi)) << 16); }

#if GH_BF16_X86
#define GH_TARGET_BF16 __attribute__((target("avx512f,avx512vl,avx512dq,avx512bw,avx512bf16,fma")))

constexpr int kMR = 8, kNR = 32;

// 8×32 tile, 16 zmm accumulators (as the fp32 AVX-512 kernel); each k step is one pair of bf16 per element.
template <int AM, bool BP>
GH_TARGET_BF16 void kern_bf16(int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
                              int64_t ldc, int m, int n, bool add) {
  __m512 c0[kMR], c1[kMR];
#pragma GCC unroll 16
  for (int i = 0; i < kMR; i++) c0[i] = c1[i] = _mm512_setzero_ps();
  const __mmask16 m0 = mask16(n), m1 = mask16(n - 16);
  for (int64_t k = 0; k < kc; k++) {
    __m512i b0, b1;
    if (BP) {
      b0 = _mm512_load_si512(b + k * kNR);
      b1 = _mm512_load_si512(b + k * kNR + 16);
    } else {
      b0 = _mm512_maskz_loadu_epi32(m0, b + k * ldb);
      b1 = _mm512_maskz_loadu_epi32(m1, b + k * ldb + 16);
    }
#pragma GCC unroll 16
    for (int i = 0; i < kMR; i++) {
      const __m512i ai = _mm512_castps_si512(_mm512_set1_ps(load_a<kMR, AM>(a, lda, k, i)));
      c0[i] = _mm512_dpbf16_ps(c0[i], (__m512bh)ai, (__m512bh)b0);
      c1[i] = _mm512_dpbf16_ps(c1[i], (__m512bh)ai, (__m512bh)b1);
    }
  }
  store_tile<kMR>(c0, c1, c, ldc, m, n, add);
}

Isa make_isa_bf16() {
  const Isa* base = isa_avx512();
  return Isa{"avx512_bf16",
             kMR,
             kNR,
             {{kern_bf16<kAPacked, false>, kern_bf16<kAPacked, true>},
              {kern_bf16<kARow, false>, kern_bf16<kARow, true>},
              {kern_bf16<kACol, false>, kern_bf16<kACol, true>}},
             base->pack_a,
             base->pack_b};
}

// 32 floats → 16 pair words (x[0..31] consecutive in k).
GH_TARGET_BF16 void convert_contig_bf16(const float* src, int64_t n, uint32_t* dst) {
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 lo = _mm512_loadu_ps(src + i), hi = _mm512_loadu_ps(src + i + 16);
    _mm512_storeu_si512(dst + i / 2, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
  }
  for (; i + 1 < n; i += 2) dst[i / 2] = pair(src[i], src[i + 1]);
  if (i < n) dst[i / 2] = pair(src[i], 0.0f);
}

// dst[j] = (bf16(r0[j]), bf16(r1[j])) for j < n.
GH_TARGET_BF16 void interleave_bf16(const float* r0, const float* r1, int64_t n, uint32_t* dst) {
  int64_t j = 0;
  for (; j + 16 <= n; j += 16) {
    const __m256i lo = (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(r0 + j));
    const __m256i hi = (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(r1 + j));
    const __m512i w = _mm512_or_si512(_mm512_cvtepu16_epi32(lo), _mm512_slli_epi32(_mm512_cvtepu16_epi32(hi), 16));
    _mm512_storeu_si512(dst + j, w);
  }
  for (; j < n; j++) dst[j] = pair(r0[j], r1[j]);
}
#endif  // GH_BF16_X86

struct Bf16Choice {
  bool available;
  const char* status;
};

Bf16Choice choose_bf16() {
#if GH_BF16_X86
  const char* env = std::getenv("GOODHART_BF16");
  if (env && std::strcmp(env, "fallback") == 0)
    return {false, "fp32 fallback forced by GOODHART_BF16=fallback"};
  const char* isa_env = std::getenv("GOODHART_SGEMM_ISA");
  if (isa_env && (std::strcmp(isa_env, "avx2") == 0 || std::strcmp(isa_env, "portable") == 0))
    return {false, "fp32 fallback: GOODHART_SGEMM_ISA lowers the kernels below AVX-512"};
  __builtin_cpu_init();
  if (!(__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("fma")))
    return {false, "fp32 fallback: this CPU lacks AVX-512"};
  if (!__builtin_cpu_supports("avx512bf16")) return {false, "fp32 fallback: this CPU lacks AVX512_BF16"};
  return {true, "avx512_bf16"};
#else
  return {false, "fp32 fallback: bfloat16 kernels need x86-64 with AVX512_BF16 and GCC >= 12 or clang >= 15"};
#endif
}

const Bf16Choice& bf16_choice() {
  static const Bf16Choice chosen = choose_bf16();
  return chosen;
}

}  // namespace

bool bf16_available() { return bf16_choice().available; }
const char* bf16_status() { return bf16_choice().status; }

void bf16_pairs_k_contig(const float* src, int64_t ld, int64_t rows, int64_t K, uint32_t* dst) {
  const int64_t kp = (K + 1) / 2;
  auto rows_range = [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; r++) {
#if GH_BF16_X86
      if (bf16_available()) {
        convert_contig_bf16(src + r * ld, K, dst + r * kp);
        continue;
      }
#endif
      const float* s = src + r * ld;
      uint32_t* d = dst + r * kp;
      for (int64_t p = 0; p < kp; p++) d[p] = pair(s[2 * p], 2 * p + 1 < K ? s[2 * p + 1] : 0.0f);
    }
  };
  if (!in_parallel_task() && threads() > 1 && rows * K >= 65536)
    parallel_range(rows, 16, [&](int64_t r0, int64_t r1, int) { rows_range(r0, r1); });
  else
    rows_range(0, rows);
}

void bf16_pairs_k_strided(const float* src, int64_t ld, int64_t K, int64_t cols, uint32_t* dst) {
  const int64_t kp = (K + 1) / 2;
  auto pairs_range = [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; p++) {
      const float* r0 = src + 2 * p * ld;
      uint32_t* d = dst + p * cols;
      if (2 * p + 1 >= K) {
        for (int64_t j = 0; j < cols; j++) d[j] = pair(r0[j], 0.0f);
        continue;
      }
      const float* r1 = r0 + ld;
#if GH_BF16_X86
      if (bf16_available()) {
        interleave_bf16(r0, r1, cols, d);
        continue;
      }
#endif
      for (int64_t j = 0; j < cols; j++) d[j] = pair(r0[j], r1[j]);
    }
  };
  if (!in_parallel_task() && threads() > 1 && K * cols >= 65536)
    parallel_range(kp, 8, [&](int64_t p0, int64_t p1, int) { pairs_range(p0, p1); });
  else
    pairs_range(0, kp);
}

void bgemm(int64_t M, int64_t N, int64_t K, const uint32_t* A, int64_t lda, bool transA, const uint32_t* B,
           int64_t ldb, bool transB, float* C, int64_t ldc, bool accumulate) {
  if (!bf16_available()) throw std::logic_error(std::string("bgemm: ") + bf16_status());
#if GH_BF16_X86
  static const Isa kIsaBf16 = make_isa_bf16();
  // The driver and the packing only copy 32-bit words, so the pair words travel as floats (never computed on).
  gemm_driver(kIsaBf16, M, N, (K + 1) / 2, reinterpret_cast<const float*>(A), lda, transA,
              reinterpret_cast<const float*>(B), ldb, transB, C, ldc, accumulate);
#endif
}

}  // namespace gh
