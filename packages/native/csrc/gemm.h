// Single-precision matrix product with run-time kernel choice (AVX-512, AVX2+FMA, portable C).
#pragma once
#include <cstdint>

namespace gh {

// C = op(A)·op(B) (accumulate=false) or C += op(A)·op(B) (accumulate=true).
// op(A) is M×K: A is stored row-major as [M, K] with row stride lda, or, when transA, as [K, M] with stride lda.
// op(B) is K×N: B is stored row-major as [K, N] with row stride ldb, or, when transB, as [N, K] with stride ldb.
// C is [M, N] with row stride ldc. Threaded over the pool unless called from inside a pool task.
// The summation order over K is fixed (independent of thread count), so results are bit-identical for any
// number of threads.
void sgemm(int64_t M, int64_t N, int64_t K,
           const float* A, int64_t lda, bool transA,
           const float* B, int64_t ldb, bool transB,
           float* C, int64_t ldc, bool accumulate);

// Which kernel sgemm uses on this CPU: "avx512", "avx2" or "portable".
const char* sgemm_isa();

// ---- bfloat16 products with float32 accumulation (gemm_bf16.cc).
// Operands are pair matrices: uint32 words each holding the bfloat16 values of two consecutive k (k even in the low
// half; past an odd K the high half is 0). With Kp = ⌈K/2⌉:
//   op(A) M×K: A is [M, Kp] (row stride lda words), or, when transA, [Kp, M].
//   op(B) K×N: B is [Kp, N] (row stride ldb words), or, when transB, [N, Kp].
// Same determinism as sgemm (fixed order over K, bit-identical for any thread count). Only valid when
// bf16_available(); throws std::logic_error otherwise.
void bgemm(int64_t M, int64_t N, int64_t K, const uint32_t* A, int64_t lda, bool transA, const uint32_t* B,
           int64_t ldb, bool transB, float* C, int64_t ldc, bool accumulate);

// fp32 → pair matrix, rounding to nearest even. k runs along each row of src (src[r*ld + k], r < rows, k < K):
// dst is [rows, Kp].
void bf16_pairs_k_contig(const float* src, int64_t ld, int64_t rows, int64_t K, uint32_t* dst);
// k runs down the rows of src (src[k*ld + j], k < K, j < cols): dst is [Kp, cols].
void bf16_pairs_k_strided(const float* src, int64_t ld, int64_t K, int64_t cols, uint32_t* dst);

// Whether bgemm runs here: the CPU has AVX512_BF16 and GOODHART_BF16=fallback does not force the fp32 path
// (read once per process). bf16_status() is "avx512_bf16" or why the fp32 fallback is used.
bool bf16_available();
const char* bf16_status();

}  // namespace gh
