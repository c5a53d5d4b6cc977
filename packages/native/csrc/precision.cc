#include "precision.h"

#include <vector>

#include "gemm.h"

namespace gh {
namespace {

// One weight matrix X [rows, cols] of params and where its two copies sit in the pack:
//   strided: [⌈rows/2⌉, cols] (k down the rows: op(B) = X, as in x·W and dlogits·wte)
//   contig:  [rows, ⌈cols/2⌉] (k along the rows: op(B) = Xᵀ, as in dY·Wᵀ and ln·wteᵀ)
struct PackedMatrix {
  int64_t param, rows, cols, strided, contig;
};

std::vector<PackedMatrix> pack_plan(const Shape& s) {
  const ParamLayout P = param_layout(s);
  std::vector<PackedMatrix> plan;
  int64_t words = 0;
  auto add = [&](int64_t param, int64_t rows, int64_t cols) {
    PackedMatrix m{param, rows, cols, words, 0};
    words += (rows + 1) / 2 * cols;
    m.contig = words;
    words += rows * ((cols + 1) / 2);
    plan.push_back(m);
  };
  const int64_t d = s.d, F = s.F();
  add(P.wte, s.V, d);
  for (int64_t l = 0; l < s.L; l++) {
    const ParamLayout::Layer W = P.layer(l);
    add(W.qkvw, d, 3 * d);
    add(W.projw, d, d);
    add(W.fcw, d, F);
    add(W.fcprojw, F, d);
  }
  return plan;
}

struct Active {
  const float* params;
  const uint32_t* pack;
  std::vector<PackedMatrix> plan;
};
Active* g_active = nullptr;

thread_local std::vector<uint32_t> t_apairs, t_bpairs;

// The pair matrix of an operand with `other` rows/columns besides K, into buf: k along the stored rows (result
// [other, Kp], row stride Kp) or down them (result [Kp, other], row stride other). *ld receives the stride.
const uint32_t* to_pairs(std::vector<uint32_t>& buf, const float* x, int64_t ldx, bool kAlongRows, int64_t other,
                         int64_t K, int64_t* ld) {
  const int64_t kp = (K + 1) / 2;
  if (int64_t(buf.size()) < kp * other) buf.resize(size_t(kp * other));
  if (kAlongRows) {
    bf16_pairs_k_contig(x, ldx, other, K, buf.data());
    *ld = kp;
  } else {
    bf16_pairs_k_strided(x, ldx, K, other, buf.data());
    *ld = other;
  }
  return buf.data();
}

}  // namespace

int64_t bf16_pack_words(const Shape& s) {
  const std::vector<PackedMatrix> plan = pack_plan(s);
  const PackedMatrix& last = plan.back();
  return last.contig + last.rows * ((last.cols + 1) / 2);
}

void bf16_pack(const Shape& s, const float* params, uint32_t* pack) {
  for (const PackedMatrix& m : pack_plan(s)) {
    const float* x = params + m.param;
    bf16_pairs_k_strided(x, m.cols, m.rows, m.cols, pack + m.strided);
    bf16_pairs_k_contig(x, m.cols, m.rows, m.cols, pack + m.contig);
  }
}

PrecisionScope::PrecisionScope(const Shape& s, const float* params, const uint32_t* pack) {
  if (pack) g_active = new Active{params, pack, pack_plan(s)};
}
PrecisionScope::~PrecisionScope() {
  delete g_active;
  g_active = nullptr;
}

void mm(int64_t M, int64_t N, int64_t K, const float* A, int64_t lda, bool transA, const float* B, int64_t ldb,
        bool transB, float* C, int64_t ldc, bool accumulate) {
  const Active* act = g_active;
  if (!act || M <= 0 || N <= 0 || K <= 0) {
    sgemm(M, N, K, A, lda, transA, B, ldb, transB, C, ldc, accumulate);
    return;
  }
  const int64_t kp = (K + 1) / 2;
  int64_t la = 0;
  // op(A) is M×K: k runs along A's stored rows unless transposed.
  const uint32_t* ap = to_pairs(t_apairs, A, lda, !transA, M, K, &la);
  const uint32_t* bp = nullptr;
  int64_t lb = 0;
  for (const PackedMatrix& m : act->plan) {
    if (B != act->params + m.param || ldb != m.cols) continue;
    if (!transB && m.rows == K && m.cols == N) {
      bp = act->pack + m.strided;
      lb = N;
    } else if (transB && m.rows == N && m.cols == K) {
      bp = act->pack + m.contig;
      lb = kp;
    }
    break;
  }
  // op(B) is K×N: k runs along B's stored rows when transposed.
  if (!bp) bp = to_pairs(t_bpairs, B, ldb, transB, N, K, &lb);
  bgemm(M, N, K, ap, la, transA, bp, lb, transB, C, ldc, accumulate);
}

}  // namespace gh
