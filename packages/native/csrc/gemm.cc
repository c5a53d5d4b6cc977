// Single-precision GEMM: C = op(A)·op(B) (+ C), packed BLIS-style design with run-time ISA dispatch.
//
// Structure (outer to inner):
//   jc: columns of C in chunks of up to kNC        (bounds the shared packed-B buffer)
//   pc: K in nkb near-equal blocks of ≤ kKC        (fixed by K alone => fixed summation order)
//       pack B[pc-block, jc-chunk] into NR-wide micro-panels (shared by all threads, packed in parallel), unless
//       op(B) is row-major and packing does not pay (small M, small K, or Aᵀ·B): then the kernel reads it in place
//       tasks: a grid of (row-panel range × column-panel range) rectangles of C, run over the pool:
//         ir: one MR-row micro-panel of A, read in place (full panels) or packed into a small zero-padded
//             per-thread buffer (the ragged last panel)
//           jr: NR-column micro-panels of B (the task's B columns stay in L2)
//               micro-kernel: MR×NR tile, kc rank-1 updates in registers, then C = acc or C += acc
//
// Determinism: every C element is computed as acc_b = fma-chain over k within K-block b (ascending k), then
// C = acc_0 (or C_old + acc_0), C += acc_1, ... The K blocking depends only on K, and the micro-kernel's
// arithmetic does not depend on where a tile sits, whether its operands were packed or read in place, or which
// thread ran it. Results are therefore bit-identical for any thread count (and any task grid). They do depend on
// the ISA (different kernels), which is fixed per process.
//
// Edge tiles: packed panels are zero-padded to MR/NR; the kernel stores only the valid m×n part (masked stores
// on AVX-512/AVX2), so nothing outside the given matrices is ever read or written.
#include "gemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "gemm_detail.h"
#include "gemm_tile.h"
#include "threadpool.h"

#if defined(__x86_64__) || defined(_M_X64)
#define GH_X86 1
#include <immintrin.h>
#else
#define GH_X86 0
#endif

namespace gh {
using namespace detail;
namespace {

// ---------------------------------------------------------------------------------------------------------------
// Blocking parameters (AMD Zen 4: 32 KiB L1d, 1 MiB L2 per core).
// kKC: K-block. The A micro-panel (MR×kc floats, 8×256×4 = 8 KiB) stays in L1 across the jr sweep, while B
//      micro-panels (kc×32 floats = 32 KiB) stream from L2. Tuned on Zen 4: KC 192..512 and MR 6..14 were tried;
//      KC=256 with MR=8 was best or within noise of the best on every shape measured.
// kL2Bytes: budget for a task's B columns (kc × cols) that are reused across all of the task's A micro-panels.
// kNC: column chunk for the shared packed B buffer (bounds its size to kKC·kNC floats = 4 MiB).
constexpr int64_t kKC = 256;
constexpr int64_t kL2Bytes = 512 * 1024;
constexpr int64_t kNC = 4096;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// ---------------------------------------------------------------------------------------------------------------
// 64-byte aligned, grow-only scratch buffer. One per thread (thread_local) per role.
class Scratch {
 public:
  ~Scratch() { release(); }
  float* get(size_t n) {
    if (n > cap_) {
      release();
      size_t bytes = (n * sizeof(float) + 63) & ~size_t(63);
      p_ = static_cast<float*>(::operator new(bytes, std::align_val_t(64)));
      cap_ = bytes / sizeof(float);
    }
    return p_;
  }

 private:
  void release() {
    if (p_) ::operator delete(p_, std::align_val_t(64));
    p_ = nullptr;
    cap_ = 0;
  }
  float* p_ = nullptr;
  size_t cap_ = 0;
};

thread_local Scratch t_apack;  // one A micro-panel (MR × kc)
thread_local Scratch t_bpack;  // packed B block (kc × nc), shared read-only with the workers of this call

// ---------------------------------------------------------------------------------------------------------------
// Micro-kernel interface (types in gemm_detail.h).
//   kc rank-1 updates of an MR×NR tile, then C[0:m, 0:n] = acc (add=false) or C += acc (add=true).
//   A access modes:  kAPacked: a[k*MR + i] (packed micro-panel, zero-padded rows)
//                    kARow:    a[i*lda + k] (op(A) read in place from row-major A; requires m == MR)
//                    kACol:    a[k*lda + i] (op(A) read in place from transposed storage; requires m == MR)
//   B access:        packed (BP=true):  b[k*NR + j], 64-byte aligned, zero-padded columns
//                    direct (BP=false): b[k*ldb + j], j < n only (masked loads)

// ---------------------------------------------------------------------------------------------------------------
// Generic (portable) packing. `ld`/`trans` describe the source as stored:
//   interleave(dst[k*W + r]) of rows r < rows of a matrix X[r][k], where X[r][k] = src[r*ld + k] (contiguous in k:
//   "needs transposing") or src[k*ld + r] (contiguous in r: plain copies).
template <int W>
void pack_generic(const float* src, int64_t ld, bool k_contig, int rows, int64_t kc, float* dst) {
  if (!k_contig) {
    if (rows == W) {
      // Full-width panel (the common case): a fixed-size copy per k that the compiler turns into a few vector
      // moves, instead of the element-by-element variable-length loop below (kept for the ragged last panel).
      for (int64_t k = 0; k < kc; k++) std::memcpy(dst + k * W, src + k * ld, sizeof(float) * W);
      return;
    }
    for (int64_t k = 0; k < kc; k++) {
      const float* s = src + k * ld;
      float* d = dst + k * W;
      int r = 0;
      for (; r < rows; r++) d[r] = s[r];
      for (; r < W; r++) d[r] = 0.0f;
    }
  } else {
    for (int r = 0; r < rows; r++) {
      const float* s = src + r * ld;
      for (int64_t k = 0; k < kc; k++) dst[k * W + r] = s[k];
    }
    for (int r = rows; r < W; r++)
      for (int64_t k = 0; k < kc; k++) dst[k * W + r] = 0.0f;
  }
}

// op(A) is M×K. Not transposed: A[i][k] = a[i*lda + k] (k-contiguous). Transposed: a[k*lda + i].
template <int MR>
void pack_a_generic(const float* a, int64_t lda, bool transA, int m, int64_t kc, float* dst) {
  pack_generic<MR>(a, lda, !transA, m, kc, dst);
}
// op(B) is K×N. Not transposed: B[k][j] = b[k*ldb + j] (j-contiguous). Transposed: b[j*ldb + k].
template <int NR>
void pack_b_generic(const float* b, int64_t ldb, bool transB, int n, int64_t kc, float* dst) {
  pack_generic<NR>(b, ldb, transB, n, kc, dst);
}

// ---------------------------------------------------------------------------------------------------------------
// Portable micro-kernel: MR×NR with plain loops over a local accumulator array (auto-vectorised by the compiler
// for SSE2 / NEON). Uses separate multiply and add (no FMA contraction in ISO mode), a fixed order per element.
constexpr int kMRp = 4, kNRp = 16;

template <int AM, bool BP>
void kern_portable(int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb, float* c, int64_t ldc,
                   int m, int n, bool add) {
  float acc[kMRp][kNRp] = {};
  float bt[kNRp];
  for (int64_t k = 0; k < kc; k++) {
    const float* bk;
    if (BP) {
      bk = b + k * kNRp;
    } else {
      const float* s = b + k * ldb;
      for (int j = 0; j < kNRp; j++) bt[j] = j < n ? s[j] : 0.0f;
      bk = bt;
    }
    for (int i = 0; i < kMRp; i++) {
      const float ai = load_a<kMRp, AM>(a, lda, k, i);
      for (int j = 0; j < kNRp; j++) acc[i][j] += ai * bk[j];
    }
  }
  for (int i = 0; i < m; i++) {
    float* ci = c + i * ldc;
    if (add)
      for (int j = 0; j < n; j++) ci[j] = ci[j] + acc[i][j];
    else
      for (int j = 0; j < n; j++) ci[j] = acc[i][j];
  }
}

const Isa kIsaPortable = {
    "portable",
    kMRp,
    kNRp,
    {{kern_portable<kAPacked, false>, kern_portable<kAPacked, true>},
     {kern_portable<kARow, false>, kern_portable<kARow, true>},
     {kern_portable<kACol, false>, kern_portable<kACol, true>}},
    pack_a_generic<kMRp>,
    pack_b_generic<kNRp>,
};

#if GH_X86
// ---------------------------------------------------------------------------------------------------------------
// x86 packing with an 8×8 AVX transpose for the k-contiguous ("needs transposing") case, which is the common one
// for A (activations [M,K]) and for B^T (e.g. the LM head / Q·K^T). W is the interleave width (MR or NR).
#define GH_TARGET_AVX2 __attribute__((target("avx2,fma")))

// dst[k*W + r0 + c] for c < 8, k in [k0, k0+8) from rows r0..r0+7 of X (X[r][k] = src[r*ld + k]).
GH_TARGET_AVX2 inline void transpose8x8_store(const float* src, int64_t ld, float* dst, int W) {
  __m256 r0 = _mm256_loadu_ps(src + 0 * ld), r1 = _mm256_loadu_ps(src + 1 * ld);
  __m256 r2 = _mm256_loadu_ps(src + 2 * ld), r3 = _mm256_loadu_ps(src + 3 * ld);
  __m256 r4 = _mm256_loadu_ps(src + 4 * ld), r5 = _mm256_loadu_ps(src + 5 * ld);
  __m256 r6 = _mm256_loadu_ps(src + 6 * ld), r7 = _mm256_loadu_ps(src + 7 * ld);
  __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
  __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
  __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
  __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
  __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
  __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
  __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
  _mm256_storeu_ps(dst + 0 * W, _mm256_permute2f128_ps(u0, u4, 0x20));
  _mm256_storeu_ps(dst + 1 * W, _mm256_permute2f128_ps(u1, u5, 0x20));
  _mm256_storeu_ps(dst + 2 * W, _mm256_permute2f128_ps(u2, u6, 0x20));
  _mm256_storeu_ps(dst + 3 * W, _mm256_permute2f128_ps(u3, u7, 0x20));
  _mm256_storeu_ps(dst + 4 * W, _mm256_permute2f128_ps(u0, u4, 0x31));
  _mm256_storeu_ps(dst + 5 * W, _mm256_permute2f128_ps(u1, u5, 0x31));
  _mm256_storeu_ps(dst + 6 * W, _mm256_permute2f128_ps(u2, u6, 0x31));
  _mm256_storeu_ps(dst + 7 * W, _mm256_permute2f128_ps(u3, u7, 0x31));
}

// dst[k*W + r0 + c] for c < 4, k in [k0, k0+4) from rows r0..r0+3.
GH_TARGET_AVX2 inline void transpose4x4_store(const float* src, int64_t ld, float* dst, int W) {
  __m128 r0 = _mm_loadu_ps(src + 0 * ld), r1 = _mm_loadu_ps(src + 1 * ld);
  __m128 r2 = _mm_loadu_ps(src + 2 * ld), r3 = _mm_loadu_ps(src + 3 * ld);
  _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
  _mm_storeu_ps(dst + 0 * W, r0);
  _mm_storeu_ps(dst + 1 * W, r1);
  _mm_storeu_ps(dst + 2 * W, r2);
  _mm_storeu_ps(dst + 3 * W, r3);
}

template <int W>
GH_TARGET_AVX2 void pack_x86(const float* src, int64_t ld, bool k_contig, int rows, int64_t kc, float* dst) {
  if (!k_contig) {
    pack_generic<W>(src, ld, false, rows, kc, dst);  // row copies: already vectorised by the compiler
    return;
  }
  const int64_t kc8 = kc & ~int64_t(7), kc4 = kc & ~int64_t(3);
  int r = 0;
  for (; r + 8 <= rows; r += 8) {
    const float* s = src + r * ld;
    int64_t k = 0;
    for (; k < kc8; k += 8) transpose8x8_store(s + k, ld, dst + k * W + r, W);
    for (; k < kc; k++)
      for (int c = 0; c < 8; c++) dst[k * W + r + c] = s[c * ld + k];
  }
  for (; r + 4 <= rows; r += 4) {
    const float* s = src + r * ld;
    int64_t k = 0;
    for (; k < kc4; k += 4) transpose4x4_store(s + k, ld, dst + k * W + r, W);
    for (; k < kc; k++)
      for (int c = 0; c < 4; c++) dst[k * W + r + c] = s[c * ld + k];
  }
  for (; r < rows; r++) {
    const float* s = src + r * ld;
    for (int64_t k = 0; k < kc; k++) dst[k * W + r] = s[k];
  }
  if (rows < W)
    for (int64_t k = 0; k < kc; k++)
      for (int c = rows; c < W; c++) dst[k * W + c] = 0.0f;
}

template <int MR>
void pack_a_x86(const float* a, int64_t lda, bool transA, int m, int64_t kc, float* dst) {
  pack_x86<MR>(a, lda, !transA, m, kc, dst);
}
template <int NR>
void pack_b_x86(const float* b, int64_t ldb, bool transB, int n, int64_t kc, float* dst) {
  pack_x86<NR>(b, ldb, transB, n, kc, dst);
}

// ---------------------------------------------------------------------------------------------------------------
// AVX-512 micro-kernel: 8×32, 16 zmm accumulators. Zen 4 issues one 512-bit FMA per cycle with 4-cycle
// latency, so 16 independent accumulators hide the latency; each k step needs 2 vector loads + 8 broadcasts per
// 16 FMAs, well within the load ports. Measured faster than 12×32 and 14×32 here (less waste on edge tiles,
// M = 8·2^n shapes, and the A pack is a pure 8×8 transpose).
constexpr int kMR512 = 8, kNR512 = 32;

template <int AM, bool BP>
GH_TARGET_AVX512 void kern_avx512(int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
                                  int64_t ldc, int m, int n, bool add) {
  constexpr int MR = kMR512;
  __m512 c0[MR], c1[MR];
#pragma GCC unroll 16
  for (int i = 0; i < MR; i++) c0[i] = c1[i] = _mm512_setzero_ps();
  const __mmask16 m0 = mask16(n), m1 = mask16(n - 16);
  for (int64_t k = 0; k < kc; k++) {
    __m512 b0, b1;
    if (BP) {
      b0 = _mm512_load_ps(b + k * kNR512);
      b1 = _mm512_load_ps(b + k * kNR512 + 16);
    } else {
      b0 = _mm512_maskz_loadu_ps(m0, b + k * ldb);
      b1 = _mm512_maskz_loadu_ps(m1, b + k * ldb + 16);
    }
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      const __m512 ai = _mm512_set1_ps(load_a<MR, AM>(a, lda, k, i));
      c0[i] = _mm512_fmadd_ps(ai, b0, c0[i]);
      c1[i] = _mm512_fmadd_ps(ai, b1, c1[i]);
    }
  }
  store_tile<MR>(c0, c1, c, ldc, m, n, add);
}

const Isa kIsaAvx512 = {
    "avx512",
    kMR512,
    kNR512,
    {{kern_avx512<kAPacked, false>, kern_avx512<kAPacked, true>},
     {kern_avx512<kARow, false>, kern_avx512<kARow, true>},
     {kern_avx512<kACol, false>, kern_avx512<kACol, true>}},
    pack_a_x86<kMR512>,
    pack_b_x86<kNR512>,
};

// ---------------------------------------------------------------------------------------------------------------
// AVX2+FMA micro-kernel: 6×16, 12 ymm accumulators (the classic Haswell/Zen shape: 16 registers total).
constexpr int kMR256 = 6, kNR256 = 16;

GH_TARGET_AVX2 inline __m256i mask8(int n) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), idx);  // lane j enabled iff j < n
}

template <int AM, bool BP>
GH_TARGET_AVX2 void kern_avx2(int64_t kc, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
                              int64_t ldc, int m, int n, bool add) {
  constexpr int MR = kMR256;
  __m256 c0[MR], c1[MR];
#pragma GCC unroll 8
  for (int i = 0; i < MR; i++) c0[i] = c1[i] = _mm256_setzero_ps();
  const __m256i m0 = mask8(n), m1 = mask8(n - 8);
  for (int64_t k = 0; k < kc; k++) {
    __m256 b0, b1;
    if (BP) {
      b0 = _mm256_load_ps(b + k * kNR256);
      b1 = _mm256_load_ps(b + k * kNR256 + 8);
    } else {
      b0 = _mm256_maskload_ps(b + k * ldb, m0);  // masked-off lanes are not accessed
      b1 = _mm256_maskload_ps(b + k * ldb + 8, m1);
    }
#pragma GCC unroll 8
    for (int i = 0; i < MR; i++) {
      const __m256 ai = _mm256_set1_ps(load_a<MR, AM>(a, lda, k, i));
      c0[i] = _mm256_fmadd_ps(ai, b0, c0[i]);
      c1[i] = _mm256_fmadd_ps(ai, b1, c1[i]);
    }
  }
#pragma GCC unroll 8
  for (int i = 0; i < MR; i++) {
    if (i >= m) break;
    float* ci = c + i * ldc;
    __m256 v0 = c0[i], v1 = c1[i];
    if (add) {
      v0 = _mm256_add_ps(_mm256_maskload_ps(ci, m0), v0);
      v1 = _mm256_add_ps(_mm256_maskload_ps(ci + 8, m1), v1);
    }
    _mm256_maskstore_ps(ci, m0, v0);
    _mm256_maskstore_ps(ci + 8, m1, v1);
  }
}

const Isa kIsaAvx2 = {
    "avx2",
    kMR256,
    kNR256,
    {{kern_avx2<kAPacked, false>, kern_avx2<kAPacked, true>},
     {kern_avx2<kARow, false>, kern_avx2<kARow, true>},
     {kern_avx2<kACol, false>, kern_avx2<kACol, true>}},
    pack_a_x86<kMR256>,
    pack_b_x86<kNR256>,
};
#endif  // GH_X86

}  // namespace

const Isa* detail::isa_avx512() {
#if GH_X86
  return &kIsaAvx512;
#else
  return nullptr;
#endif
}

namespace {

// ---------------------------------------------------------------------------------------------------------------
// ISA selection: best supported, optionally lowered by GOODHART_SGEMM_ISA=avx2|portable (read once).
const Isa& choose_isa() {
  const char* env = std::getenv("GOODHART_SGEMM_ISA");
  const bool want_portable = env && std::strcmp(env, "portable") == 0;
  const bool want_avx2 = env && std::strcmp(env, "avx2") == 0;
  (void)want_avx2;
  if (want_portable) return kIsaPortable;
#if GH_X86
  __builtin_cpu_init();
  const bool has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  const bool has_avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
                          __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") && has_avx2;
  if (has_avx512 && !want_avx2) return kIsaAvx512;
  if (has_avx2) return kIsaAvx2;
#endif
  return kIsaPortable;
}

const Isa& isa() {
  static const Isa& chosen = choose_isa();
  return chosen;
}

// ---------------------------------------------------------------------------------------------------------------
// Task grid: split the row panels into rb ranges and the column panels into cb ranges so that the slowest thread
// finishes early. Cost model per task (in FMA-equivalents): compute mp·MR·np·NR·kc plus a fixed per-task cost
// (full A micro-panels are read in place, so there is no per-task packing term).
// Among the grids within 2% of the cheapest, the one with the most tasks (up to 4 per thread, a multiple of the
// thread count) wins: tasks are claimed dynamically, so on a machine shared with other processes a thread that
// loses its core for a while no longer holds up half of the product. More row ranges cost almost nothing (B
// panels are shared and stay in L2).
struct Grid {
  int64_t rb, cb, mp, np;  // range counts and panels per range
};

Grid choose_grid(int64_t pm, int64_t pn, int64_t np_max, int nthreads, int64_t MR, int64_t NR, int64_t kc) {
  Grid best{1, ceil_div(pn, np_max), pm, 0};
  best.np = ceil_div(pn, best.cb);
  best.cb = ceil_div(pn, best.np);
  if (nthreads <= 1) return best;
  const int64_t rb_max = std::min<int64_t>(pm, 8 * nthreads);
  const int64_t cb_min = ceil_div(pn, np_max), cb_max = std::max(cb_min, std::min<int64_t>(pn, 8 * nthreads));
  auto for_each_grid = [&](auto&& visit) {
    for (int64_t cb = cb_min; cb <= cb_max; cb++) {
      const int64_t np = ceil_div(pn, cb);
      if (ceil_div(pn, np) != cb) continue;  // equivalent to a smaller cb
      for (int64_t rb = 1; rb <= rb_max; rb++) {
        const int64_t mp = ceil_div(pm, rb);
        if (ceil_div(pm, mp) != rb) continue;
        const int64_t tasks = rb * cb;
        const double per_task = double(mp * MR) * kc * double(np * NR) + 4000.0;
        visit(Grid{rb, cb, mp, np}, tasks, double(ceil_div(tasks, nthreads)) * per_task);
      }
    }
  };
  double best_cost = 1e300;
  for_each_grid([&](const Grid& g, int64_t, double cost) {
    if (cost < best_cost * 0.999) {
      best_cost = cost;
      best = g;
    }
  });
  int64_t best_tasks = best.rb * best.cb;
  for_each_grid([&](const Grid& g, int64_t tasks, double cost) {
    if (cost <= best_cost * 1.02 && tasks > best_tasks && tasks <= 4 * nthreads && tasks % nthreads == 0) {
      best_tasks = tasks;
      best = g;
    }
  });
  return best;
}

// The blocked product over 32-bit elements. For sgemm an element is a float; for bgemm it is a pair of bfloat16
// values along K (the kernel alone knows the difference: packing and blocking only move 32-bit words).
}  // namespace

void detail::gemm_driver(const Isa& I, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, bool transA,
                 const float* B, int64_t ldb, bool transB, float* C, int64_t ldc, bool accumulate) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!accumulate)
      for (int64_t i = 0; i < M; i++) std::memset(C + i * ldc, 0, size_t(N) * sizeof(float));
    return;
  }
  const int64_t MR = I.mr, NR = I.nr;

  // K blocking: nkb near-equal blocks of at most kKC. Depends on K only (see determinism note above).
  const int64_t nkb = ceil_div(K, kKC);
  const int64_t kcb = ceil_div(K, nkb);

  const bool nested = in_parallel_task();
  const int nthreads = nested ? 1 : threads();
  // Do not wake the pool for products that take only a few microseconds.
  const bool parallel = nthreads > 1 && double(M) * double(N) * double(K) >= 64.0 * 64.0 * 64.0;
  const int nt = parallel ? nthreads : 1;

  // Small M: packing B (K×N) would cost as much as the product itself, so read op(B) in place when it is
  // row-major (the kernel uses masked loads for the ragged right edge). Same for small K (the per-head
  // attention products, K = head size or ≤ 64 keys): a kc×NR slice of B is at most 8 KiB and stays in L1 across
  // the few A micro-panels, so packing it is pure overhead. And for Aᵀ·B (the weight gradients Xᵀ·dY, K = tokens):
  // A is then read in place as a[k*lda + i] (8 contiguous floats per k) and B's rows are contiguous too, so both
  // operands stream from L2 with unit-stride lines; skipping the K×N copy of dY measured ~1% faster per step
  // at 1 thread and ~3% at 2 threads on the quick policy.
  const bool b_direct = !transB && (M <= 2 * MR || K <= 64 || transA);

  for (int64_t jc = 0; jc < N; jc += kNC) {
    const int64_t nc = std::min(kNC, N - jc);
    const int64_t pn = ceil_div(nc, NR);
    for (int64_t kb = 0; kb < nkb; kb++) {
      const int64_t pc = kb * kcb;
      const int64_t kc = std::min(kcb, K - pc);
      const bool add = accumulate || kb > 0;

      // ---- pack B[pc:pc+kc, jc:jc+nc] into pn micro-panels of kc×NR (shared, read-only afterwards)
      float* bp = nullptr;
      if (!b_direct) {
        bp = t_bpack.get(size_t(pn * kc * NR));
        auto pack_panels = [&](int64_t p0, int64_t p1) {
          for (int64_t p = p0; p < p1; p++) {
            const int64_t j0 = jc + p * NR;
            const int n = int(std::min(NR, N - j0));
            const float* src = transB ? B + j0 * ldb + pc : B + pc * ldb + j0;
            I.pack_b(src, ldb, transB, n, kc, bp + p * kc * NR);
          }
        };
        if (nt > 1 && pn >= 2) {
          parallel_range(pn, 1, [&](int64_t p0, int64_t p1, int) { pack_panels(p0, p1); });
        } else {
          pack_panels(0, pn);
        }
      }

      // ---- compute
      const int64_t pm = ceil_div(M, MR);
      const int64_t np_max = std::max<int64_t>(1, kL2Bytes / (kc * NR * int64_t(sizeof(float))));
      const Grid g = choose_grid(pm, pn, np_max, nt, MR, NR, kc);
      const KernelFn kern_packed_a = I.kern[kAPacked][b_direct ? 0 : 1];
      // Full MR-row micro-panels of A are read in place (the kernel broadcasts a[i*lda + k] or a[k*lda + i]);
      // only ragged bottom panels are packed (zero-padded). The kernel is bound by its one 512-bit FMA per cycle,
      // and the 8 broadcast loads per k step fit the load ports whether they come from a packed panel or from 8
      // strided rows that stay in L1 for the whole jr sweep. Packing A cost more than it saved on every shape of
      // the quick policy (K = 128..1024, lda = 128..1024, both layouts): measured 0–15% faster per product, and
      // the products no longer depend on the grid for how A is read.
      const KernelFn kern_direct_a = I.kern[transA ? kACol : kARow][b_direct ? 0 : 1];

      auto task = [&](int64_t t, int) {
        const int64_t ri = t / g.cb, ci = t % g.cb;
        const int64_t ip0 = ri * g.mp, ip1 = std::min(pm, ip0 + g.mp);
        const int64_t jp0 = ci * g.np, jp1 = std::min(pn, jp0 + g.np);
        float* ap = nullptr;
        for (int64_t ip = ip0; ip < ip1; ip++) {
          const int64_t i0 = ip * MR;
          const int m = int(std::min(MR, M - i0));
          const float* asrc = transA ? A + pc * lda + i0 : A + i0 * lda + pc;
          const float* a;
          int64_t la;
          KernelFn kern;
          if (m == MR) {
            a = asrc;
            la = lda;
            kern = kern_direct_a;
          } else {
            if (!ap) ap = t_apack.get(size_t(MR * kc));
            I.pack_a(asrc, lda, transA, m, kc, ap);
            a = ap;
            la = 0;
            kern = kern_packed_a;
          }
          for (int64_t jp = jp0; jp < jp1; jp++) {
            const int64_t j0 = jc + jp * NR;
            const int n = int(std::min(NR, N - j0));
            const float* b = b_direct ? B + pc * ldb + j0 : bp + jp * kc * NR;
            kern(kc, a, la, b, ldb, C + i0 * ldc + j0, ldc, m, n, add);
          }
        }
      };
      const int64_t tasks = g.rb * g.cb;
      if (nt > 1 && tasks > 1) {
        parallel_for(tasks, task);
      } else {
        for (int64_t t = 0; t < tasks; t++) task(t, 0);
      }
    }
  }
}

const char* sgemm_isa() { return isa().name; }

void sgemm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, bool transA, const float* B, int64_t ldb,
           bool transB, float* C, int64_t ldc, bool accumulate) {
  gemm_driver(isa(), M, N, K, A, lda, transA, B, ldb, transB, C, ldc, accumulate);
}

}  // namespace gh
