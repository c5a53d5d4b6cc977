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

}  // namespace gh
