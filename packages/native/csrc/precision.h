// Compute precision of the model's matrix products: fp32 (sgemm) or bfloat16 with float32 accumulation (bgemm).
//
// In bf16 every weight matrix has two bfloat16 copies in a pack that JavaScript owns (one per layout the products
// need: k down the rows for x·W, k along the rows for dY·Wᵀ), written by bf16_pack once per model and after each
// optimizer step, never per product. Activations are rounded to bf16 as each product reads them.
#pragma once
#include <cstdint>

#include "model.h"

namespace gh {

// Length of the pack in 32-bit words (two bf16 copies of wte and of every layer's four weight matrices).
int64_t bf16_pack_words(const Shape& s);
// Writes the pack from params (rounding to nearest even). Requires bf16_available().
void bf16_pack(const Shape& s, const float* params, uint32_t* pack);

// While alive, mm() runs in bf16 and reads weight operands (pointers to the start of a packed matrix in params)
// from `pack`; with pack == nullptr (or outside any scope) mm() is sgemm. The engine is not re-entrant (the
// binding serialises calls), so one scope is active at a time.
class PrecisionScope {
 public:
  PrecisionScope(const Shape& s, const float* params, const uint32_t* pack);
  ~PrecisionScope();
  PrecisionScope(const PrecisionScope&) = delete;
  PrecisionScope& operator=(const PrecisionScope&) = delete;
};

// C = op(A)·op(B) (+ C) in the active precision; same operands as sgemm (gemm.h).
void mm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, bool transA, const float* B, int64_t ldb,
        bool transB, float* C, int64_t ldc, bool accumulate);

}  // namespace gh
