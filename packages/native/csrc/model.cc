// GPT forward/backward, KV-cache prefill/decode and AdamW over JavaScript-owned float arrays (llm.c style).
//
// Determinism: every parallel loop partitions independent outputs (rows, columns, (batch, head) pairs or fixed
// blocks) and sums in a fixed order inside each output, and gh::sgemm sums over K in a fixed order, so results
// are bit-identical for any thread count on a given machine.
#include "model.h"

#include <cmath>
#include <algorithm>
#include <cstring>
#include <vector>

#include "gemm.h"
#include "precision.h"
#include "threadpool.h"

// Hot elementwise kernels are compiled for several ISAs and picked at load time (Linux x86-64 with GCC); the rest of
// the build targets the baseline ISA (no -march=native, so the addon runs on any machine of the architecture).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define GH_CLONES __attribute__((target_clones("default", "avx2", "avx512f")))
#else
#define GH_CLONES
#endif

namespace gh {

namespace {

// ---------------------------------------------------------------------------------------------------------------
// Checked sizes.

int64_t cmul(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_mul_overflow(a, b, &r) || r > (int64_t(1) << 52)) throw SizeError("size overflow");
  return r;
}
int64_t cadd(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r) || r > (int64_t(1) << 52)) throw SizeError("size overflow");
  return r;
}

// ---------------------------------------------------------------------------------------------------------------
// Vectorisable math. fast_exp: Cephes expf (≈1 ulp); NaN propagates, results below e^-87.3 flush to 0.

inline float fast_exp(float x) {
  const float hi = 88.3762626647949f, lo = -87.3365447505531f;
  float xx = x > hi ? hi : x;
  xx = xx < lo ? lo : xx;
  const float magic = 12582912.0f;  // 1.5·2^23: adding it rounds to an integer kept in the low mantissa bits
  float shifted = xx * 1.44269504088896341f + magic;
  float fx = shifted - magic;
  int32_t bits;
  std::memcpy(&bits, &shifted, 4);
  int32_t n = bits - 0x4B400000;
  float r = xx - fx * 0.693359375f;
  r = r - fx * -2.12194440e-4f;
  float y = 1.9875691500E-4f;
  y = y * r + 1.3981999507E-3f;
  y = y * r + 8.3334519073E-3f;
  y = y * r + 4.1665795894E-2f;
  y = y * r + 1.6666665459E-1f;
  y = y * r + 5.0000001201E-1f;
  y = y * r * r + r + 1.0f;
  int32_t sbits = (n + 127) << 23;
  float scale;
  std::memcpy(&scale, &sbits, 4);
  float result = y * scale;
  return x < lo ? 0.0f : result;
}

inline float fast_tanh(float u) { return 1.0f - 2.0f / (fast_exp(2.0f * u) + 1.0f); }

constexpr float kGeluC = 0.7978845608028654f;  // √(2/π)

// y = gelu(x + bias) over rows of width `cols` (bias per column).
GH_CLONES void gelu_forward(const float* x, const float* bias, float* y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++)
  for (int64_t i = r * cols, c = 0; c < cols; i++, c++) {
    float v = x[i] + bias[c];
    float t = fast_tanh(kGeluC * (v + 0.044715f * v * v * v));
    y[i] = 0.5f * v * (1.0f + t);
  }
}

// Training forward: y = gelu(x + bias) and, in place over x, the derivative gelu'(x + bias) that backward needs.
// Computing the derivative here reuses the tanh (an exp and a division per element) instead of recomputing it
// in backward; backward is then one multiply per element (mul_inplace).
GH_CLONES void gelu_forward_train(float* x, const float* bias, float* y, int64_t rows, int64_t cols) {
  for (int64_t r = 0; r < rows; r++)
  for (int64_t i = r * cols, c = 0; c < cols; i++, c++) {
    float v = x[i] + bias[c];
    float t = fast_tanh(kGeluC * (v + 0.044715f * v * v * v));
    float dt = (1.0f - t * t) * kGeluC * (1.0f + 3.0f * 0.044715f * v * v);
    y[i] = 0.5f * v * (1.0f + t);
    x[i] = 0.5f * (1.0f + t) + 0.5f * v * dt;
  }
}

// y[i] *= x[i].
GH_CLONES void mul_inplace(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] *= x[i];
}

// Sum in 16 fixed lanes, then the lanes in order: vectorisable and independent of the ISA's width.
GH_CLONES float dot(const float* a, const float* b, int64_t n) {
  float acc[16] = {0};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; k++) acc[k] += a[i + k] * b[i + k];
  float s = 0;
  for (int k = 0; k < 16; k++) s += acc[k];
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}

// Σ a[i]·b[i] in double, in 8 fixed lanes then the lanes in order (vectorisable; a plain double running sum is
// one dependent add per element).
GH_CLONES double dot_double(const float* a, const float* b, int64_t n) {
  double acc[8] = {0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; k++) acc[k] += double(a[i + k]) * double(b[i + k]);
  double s = 0;
  for (int k = 0; k < 8; k++) s += acc[k];
  for (; i < n; i++) s += double(a[i]) * double(b[i]);
  return s;
}

// dr[j] = pr[j]·(dr[j] − s)·scale: the softmax backward of one attention row.
GH_CLONES void softmax_backward_span(const float* pr, float* dr, float s, float scale, int64_t n) {
  for (int64_t j = 0; j < n; j++) dr[j] = pr[j] * (dr[j] - s) * scale;
}

GH_CLONES void axpy(float alpha, const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; i++) y[i] += alpha * x[i];
}

// LayerNorm of one row (biased variance, eps 1e-5). Returns mean and rstd.
GH_CLONES void layernorm_row(const float* x, float* out, const float* g, const float* b, int64_t d, float* meanOut,
                             float* rstdOut) {
  double sum = 0;
  {
    float acc[16] = {0};
    int64_t i = 0;
    for (; i + 16 <= d; i += 16)
      for (int k = 0; k < 16; k++) acc[k] += x[i + k];
    for (int k = 0; k < 16; k++) sum += acc[k];
    for (; i < d; i++) sum += x[i];
  }
  float mean = float(sum / double(d));
  double var = 0;
  {
    float acc[16] = {0};
    int64_t i = 0;
    for (; i + 16 <= d; i += 16)
      for (int k = 0; k < 16; k++) {
        float c = x[i + k] - mean;
        acc[k] += c * c;
      }
    for (int k = 0; k < 16; k++) var += acc[k];
    for (; i < d; i++) {
      float c = x[i] - mean;
      var += c * c;
    }
  }
  float rstd = float(1.0 / std::sqrt(var / double(d) + 1e-5));
  for (int64_t i = 0; i < d; i++) out[i] = (x[i] - mean) * rstd * g[i] + b[i];
  if (meanOut) *meanOut = mean;
  if (rstdOut) *rstdOut = rstd;
}

// dx += LayerNorm backward of one row (input x, saved mean/rstd, gain g, upstream dout); dx = ... when !accumulate.
// Also adds this row's parameter-gradient terms, pg[c] += dout·x̂ and pb[c] += dout, while x and dout are in cache.
GH_CLONES void layernorm_row_backward(const float* x, const float* dout, const float* g, float mean, float rstd,
                                      float* dx, int64_t d, bool accumulate, float* pg, float* pb) {
  float a1[16] = {0}, a2[16] = {0};
  int64_t i = 0;
  for (; i + 16 <= d; i += 16)
    for (int k = 0; k < 16; k++) {
      float xhat = (x[i + k] - mean) * rstd;
      float dn = dout[i + k] * g[i + k];
      a1[k] += dn;
      a2[k] += dn * xhat;
    }
  float s1 = 0, s2 = 0;
  for (int k = 0; k < 16; k++) {
    s1 += a1[k];
    s2 += a2[k];
  }
  for (; i < d; i++) {
    float xhat = (x[i] - mean) * rstd;
    float dn = dout[i] * g[i];
    s1 += dn;
    s2 += dn * xhat;
  }
  float m1 = s1 / float(d), m2 = s2 / float(d);
  if (accumulate) {
    for (int64_t j = 0; j < d; j++) {
      float xhat = (x[j] - mean) * rstd;
      float dn = dout[j] * g[j];
      dx[j] += (dn - m1 - xhat * m2) * rstd;
      pg[j] += dout[j] * xhat;
      pb[j] += dout[j];
    }
  } else {
    for (int64_t j = 0; j < d; j++) {
      float xhat = (x[j] - mean) * rstd;
      float dn = dout[j] * g[j];
      dx[j] = (dn - m1 - xhat * m2) * rstd;
      pg[j] += dout[j] * xhat;
      pb[j] += dout[j];
    }
  }
}

// acc[c] += Σ rows of src (row stride ld), columns [c0, c1).
GH_CLONES void colsum_rows(const float* src, int64_t ld, int64_t rows, int64_t c0, int64_t c1, float* acc) {
  for (int64_t n = 0; n < rows; n++) {
    const float* row = src + n * ld;
    for (int64_t c = c0; c < c1; c++) acc[c - c0] += row[c];
  }
}

// Largest entry of a row, over 16 lanes (vectorisable; NaN entries are skipped).
GH_CLONES float row_max(const float* x, int64_t n) {
  float mx[16];
  for (int k = 0; k < 16; k++) mx[k] = -INFINITY;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; k++) mx[k] = x[i + k] > mx[k] ? x[i + k] : mx[k];
  float m = -INFINITY;
  for (int k = 0; k < 16; k++) m = mx[k] > m ? mx[k] : m;
  for (; i < n; i++) m = x[i] > m ? x[i] : m;
  return m;
}

// Log-sum-exp of a row.
GH_CLONES float logsumexp_row(const float* x, int64_t n) {
  const float m = row_max(x, n);
  if (std::isinf(m)) return m;  // every entry -inf (or some +inf): nothing to normalise
  float acc[16] = {0};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; k++) acc[k] += fast_exp(x[i + k] - m);
  double s = 0;
  for (int k = 0; k < 16; k++) s += acc[k];
  for (; i < n; i++) s += fast_exp(x[i] - m);
  return m + float(std::log(s));
}

// Training forward of the LM head, one row: returns log-sum-exp(x) like logsumexp_row (same lanes and order) and
// replaces x[v] by e[v] = exp(x[v] − max), with *inv = 1/Σe, so that backward gets softmax = e·inv without a
// second pass of exponentials. The caller reads x[target] first. A row whose max is ±inf (nothing to normalise)
// becomes NaN, so its gradient is NaN (before, it was NaN, or 0 for the finite entries of a row holding +inf).
GH_CLONES float logsumexp_keep_row(float* x, int64_t n, float* inv) {
  const float m = row_max(x, n);
  int64_t i = 0;
  if (std::isinf(m)) {
    for (i = 0; i < n; i++) x[i] = NAN;
    *inv = NAN;
    return m;
  }
  float acc[16] = {0};
  i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; k++) {
      const float e = fast_exp(x[i + k] - m);
      x[i + k] = e;
      acc[k] += e;
    }
  double s = 0;
  for (int k = 0; k < 16; k++) s += acc[k];
  for (; i < n; i++) {
    x[i] = fast_exp(x[i] - m);
    s += x[i];
  }
  *inv = float(1.0 / s);
  return m + float(std::log(s));
}

// dl[v] = w · (onehot(target)[v] − e[v]·inv)   (e, inv from logsumexp_keep_row: e·inv is the softmax).
GH_CLONES void dlogits_row(const float* e, float inv, int32_t target, float w, float* dl, int64_t n) {
  const float scale = -w * inv;
  for (int64_t v = 0; v < n; v++) dl[v] = scale * e[v];
  dl[target] += w;
}

// In-place softmax of row[lo..hi] after multiplying by `scale` (16 fixed lanes: vectorisable, ISA-independent order).
GH_CLONES void softmax_span(float* row, int64_t lo, int64_t hi, float scale) {
  float* x = row + lo;
  const int64_t n = hi - lo + 1;
  float mx[16];
  for (int k = 0; k < 16; k++) mx[k] = -INFINITY;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; k++) {
      float v = x[i + k] * scale;
      x[i + k] = v;
      mx[k] = v > mx[k] ? v : mx[k];
    }
  float m = -INFINITY;
  for (int k = 0; k < 16; k++) m = mx[k] > m ? mx[k] : m;
  for (; i < n; i++) {
    x[i] *= scale;
    m = x[i] > m ? x[i] : m;
  }
  float acc[16] = {0};
  i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; k++) {
      float e = fast_exp(x[i + k] - m);
      x[i + k] = e;
      acc[k] += e;
    }
  float s = 0;
  for (int k = 0; k < 16; k++) s += acc[k];
  for (; i < n; i++) {
    x[i] = fast_exp(x[i] - m);
    s += x[i];
  }
  const float inv = 1.0f / s;
  for (i = 0; i < n; i++) x[i] *= inv;
}

// ---------------------------------------------------------------------------------------------------------------
// Row-parallel helpers.

constexpr int64_t kRowGrain = 8;
// Rows per parallel chunk so that each chunk has ≥ ~32k elements: tiny loops (decode) stay on the calling thread
// instead of paying a pool dispatch.
inline int64_t row_grain(int64_t cols) { return std::max<int64_t>(kRowGrain, (int64_t(1) << 15) / std::max<int64_t>(cols, 1)); }
constexpr int64_t kQueryBlock = 32;  // attention query block: keys beyond the block's last query are skipped

void layernorm_rows(const float* x, float* out, const float* g, const float* b, int64_t rows, int64_t d, float* mean,
                    float* rstd) {
  parallel_range(rows, row_grain(d), [&](int64_t r0, int64_t r1, int) {
    for (int64_t r = r0; r < r1; r++)
      layernorm_row(x + r * d, out + r * d, g, b, d, mean ? mean + r : nullptr, rstd ? rstd + r : nullptr);
  });
}

// out[r, :] = (in ? in[r, :] : 0) + bias   (rows of width cols, stride cols)
void set_bias_rows(float* out, const float* in, const float* bias, int64_t rows, int64_t cols) {
  parallel_range(rows, row_grain(cols), [&](int64_t r0, int64_t r1, int) {
    for (int64_t r = r0; r < r1; r++) {
      float* o = out + r * cols;
      if (in) {
        const float* x = in + r * cols;
        for (int64_t c = 0; c < cols; c++) o[c] = x[c] + bias[c];
      } else {
        std::memcpy(o, bias, sizeof(float) * cols);
      }
    }
  });
}

// dst[c] += Σ_r src[r, c]: partitioned over columns, rows summed in order.
void column_sums(float* dst, const float* src, int64_t rows, int64_t cols) {
  parallel_range(cols, 16, [&](int64_t c0, int64_t c1, int) {
    std::vector<float> acc(c1 - c0, 0.0f);
    colsum_rows(src, cols, rows, c0, c1, acc.data());
    for (int64_t c = c0; c < c1; c++) dst[c] += acc[c - c0];
  });
}

// LayerNorm backward over rows: dx (+)= ∂/∂x, and the parameter gradients dg[c] += Σ dout·x̂, db[c] += Σ dout,
// in one pass over x and dout (they are usually out of cache by backward time, so a second pass costs a re-read).
// Rows are cut into fixed blocks of kLnBlock; each block sums its rows in order into its own partial row, and the
// partials are added block by block in order: the result does not depend on the thread count.
constexpr int64_t kLnBlock = 32;
void layernorm_backward_rows(const float* x, const float* dout, const float* g, const float* mean, const float* rstd,
                             float* dx, float* dg, float* db, int64_t rows, int64_t d, bool accumulate) {
  const int64_t nb = (rows + kLnBlock - 1) / kLnBlock;
  std::vector<float> part(size_t(nb * 2 * d), 0.0f);  // block b: dg partial at 2bd, db partial at 2bd + d
  const int64_t grain = std::max<int64_t>(1, row_grain(d) / kLnBlock);
  parallel_range(nb, grain, [&](int64_t b0, int64_t b1, int) {
    for (int64_t b = b0; b < b1; b++) {
      float* pg = part.data() + b * 2 * d;
      const int64_t r1 = std::min(rows, (b + 1) * kLnBlock);
      for (int64_t r = b * kLnBlock; r < r1; r++)
        layernorm_row_backward(x + r * d, dout + r * d, g, mean[r], rstd[r], dx + r * d, d, accumulate, pg, pg + d);
    }
  });
  for (int64_t b = 0; b < nb; b++) {
    const float* pg = part.data() + b * 2 * d;
    for (int64_t c = 0; c < d; c++) {
      dg[c] += pg[c];
      db[c] += pg[d + c];
    }
  }
}

// y = gelu(x + bias), row-parallel (x may be y).
void gelu_rows(const float* x, const float* bias, float* y, int64_t rows, int64_t cols) {
  parallel_range(rows, row_grain(cols), [&](int64_t r0, int64_t r1, int) { gelu_forward(x + r0 * cols, bias, y + r0 * cols, r1 - r0, cols); });
}

// y = x·W (+ y when accumulate): x [rows, in], W [in, out].
inline void linear(const float* x, const float* W, float* y, int64_t rows, int64_t in, int64_t out, bool accumulate) {
  mm(rows, out, in, x, in, false, W, out, false, y, out, accumulate);
}

// ---------------------------------------------------------------------------------------------------------------
// Activation layout.

constexpr int64_t kHeader = 8;  // acts[0..7]: magic, B, T, hasTargets (train forwards only)
constexpr float kMagic = 271828.0f;
constexpr int64_t kLogitChunk = 256;  // rows of logits at a time when they are not kept

struct TrainLayer {
  // fch: after forward, gelu'(ln2·Wfc + bfc) (what backward needs); fchg: gelu(ln2·Wfc + bfc)
  float *ln1, *ln1m, *ln1r, *qkv, *att, *atty, *res2, *ln2, *ln2m, *ln2r, *fch, *fchg, *res3;
};

struct Layout {
  int64_t N, T, B;
  // train
  int64_t encoded, layer0, perLayer, lnf, lnfm, lnfr, logits, sminv;  // logits: exp(logit − row max) after forward
  int64_t dres, dln, dqkv, datty, dfch, datt, dlogits;
  // inference
  int64_t x, ln, qkv, att, atty, fch, chunk;
  int64_t total;
  // per-layer train offsets (relative to the layer start)
  int64_t o_ln1, o_ln1m, o_ln1r, o_qkv, o_att, o_atty, o_res2, o_ln2, o_ln2m, o_ln2r, o_fch, o_fchg, o_res3;
};

Layout make_layout(const Shape& s, int64_t B, int64_t T, bool train) {
  Layout L{};
  const int64_t d = s.d, F = cmul(s.r, s.d), N = cmul(B, T), Nd = cmul(N, d);
  const int64_t attSize = cmul(cmul(B, s.nh), cmul(T, T));
  L.N = N;
  L.T = T;
  L.B = B;
  int64_t off = kHeader;
  auto take = [&](int64_t n) {
    int64_t o = off;
    off = cadd(off, n);
    return o;
  };
  if (train) {
    L.encoded = take(Nd);
    int64_t lo = 0;
    auto ltake = [&](int64_t n) {
      int64_t o = lo;
      lo = cadd(lo, n);
      return o;
    };
    L.o_ln1 = ltake(Nd);
    L.o_ln1m = ltake(N);
    L.o_ln1r = ltake(N);
    L.o_qkv = ltake(cmul(3, Nd));
    L.o_att = ltake(attSize);
    L.o_atty = ltake(Nd);
    L.o_res2 = ltake(Nd);
    L.o_ln2 = ltake(Nd);
    L.o_ln2m = ltake(N);
    L.o_ln2r = ltake(N);
    L.o_fch = ltake(cmul(N, F));
    L.o_fchg = ltake(cmul(N, F));
    L.o_res3 = ltake(Nd);
    L.perLayer = lo;
    L.layer0 = take(cmul(lo, s.L));
    L.lnf = take(Nd);
    L.lnfm = take(N);
    L.lnfr = take(N);
    L.logits = take(cmul(N, s.V));
    L.sminv = take(N);  // 1 / Σ exp(logit − row max) per row
    L.dres = take(Nd);
    L.dln = take(Nd);
    L.dqkv = take(cmul(3, Nd));
    L.datty = take(Nd);
    L.dfch = take(cmul(N, F));
    L.datt = take(attSize);
    L.dlogits = take(cmul(N < kLogitChunk ? N : kLogitChunk, s.V));
  } else {
    L.x = take(Nd);
    L.ln = take(Nd);
    L.qkv = take(cmul(3, Nd));
    int64_t tt = cmul(T, T);
    L.att = take(cmul(cmul(B, s.nh), tt > s.C ? tt : s.C));
    L.atty = take(Nd);
    L.fch = take(cmul(N, F));
    L.chunk = take(cmul(N < kLogitChunk ? N : kLogitChunk, s.V));
  }
  L.total = off;
  return L;
}

TrainLayer train_layer(const Layout& L, float* acts, int64_t l) {
  float* base = acts + L.layer0 + l * L.perLayer;
  return TrainLayer{base + L.o_ln1, base + L.o_ln1m, base + L.o_ln1r, base + L.o_qkv, base + L.o_att,
                    base + L.o_atty, base + L.o_res2, base + L.o_ln2, base + L.o_ln2m, base + L.o_ln2r,
                    base + L.o_fch, base + L.o_fchg, base + L.o_res3};
}

// ---------------------------------------------------------------------------------------------------------------
// Model pieces.

void embed(const Shape& s, const float* params, const ParamLayout& P, const int32_t* ids, const int32_t* starts,
           int64_t B, int64_t T, float* x) {
  const int64_t d = s.d;
  parallel_range(B * T, row_grain(d), [&](int64_t r0, int64_t r1, int) {
    for (int64_t n = r0; n < r1; n++) {
      int64_t b = n / T, t = n % T;
      int64_t pos = t - starts[b];
      if (pos < 0) pos = 0;
      const float* te = params + P.wte + int64_t(ids[n]) * d;
      const float* pe = params + P.wpe + pos * d;
      float* o = x + n * d;
      for (int64_t c = 0; c < d; c++) o[c] = te[c] + pe[c];
    }
  });
}

// Causal attention over qkv [B·T, 3d] into out. Full mode: every query, out [B·T, d], pad rows 0, att rows per
// (b, h) [T, T] (zeros outside the attended span). lastOnly: only query T−1 of each row, out [B, d], att row 0.
void attention_forward(const Shape& s, const float* qkv, float* att, int64_t attStride, float* out,
                       const int32_t* starts, int64_t B, int64_t T, bool lastOnly) {
  const int64_t d = s.d, nh = s.nh, hs = s.hs(), d3 = 3 * d;
  const float scale = float(1.0 / std::sqrt(double(hs)));
  parallel_for(B * nh, [&](int64_t task, int) {
    const int64_t b = task / nh, h = task % nh;
    const int64_t st = starts[b];
    const float* base = qkv + b * T * d3;
    const float* Q = base + h * hs;
    const float* K = base + d + h * hs;
    const float* Vv = base + 2 * d + h * hs;
    float* P = att + task * attStride;
    const int64_t q0 = lastOnly ? T - 1 : st;  // st ≤ T−1 always
    const int64_t nq = T - q0, nk = T - st;
    const int64_t row0 = lastOnly ? 0 : q0;     // P row of query q0
    (void)nq;
    (void)nk;
    // Query blocks [qa, qb) see keys st..qb−1 only (causality): scores, softmax, then P·V.
    for (int64_t qa = q0; qa < T; qa += kQueryBlock) {
      const int64_t qb = qa + kQueryBlock < T ? qa + kQueryBlock : T;
      const int64_t keys = qb - st;
      float* Pb = P + (row0 + qa - q0) * T;
      sgemm(qb - qa, keys, hs, Q + qa * d3, d3, false, K + st * d3, d3, true, Pb + st, T, false);
      for (int64_t t = qa; t < qb; t++) {
        float* row = Pb + (t - qa) * T;
        softmax_span(row, st, t, scale);
        for (int64_t j = 0; j < st; j++) row[j] = 0;
        for (int64_t j = t + 1; j < T; j++) row[j] = 0;
      }
      float* o = lastOnly ? out + b * d + h * hs : out + (b * T + qa) * d + h * hs;
      sgemm(qb - qa, hs, keys, Pb + st, T, false, Vv + st * d3, d3, false, o, d, false);
    }
    if (!lastOnly) {
      // pad queries attend to nothing
      for (int64_t t = 0; t < st; t++) {
        std::memset(P + t * T, 0, sizeof(float) * T);
        std::memset(out + (b * T + t) * d + h * hs, 0, sizeof(float) * hs);
      }
    }
  });
}

void attention_backward(const Shape& s, const float* qkv, const float* att, float* datt, const float* datty,
                        float* dqkv, const int32_t* starts, int64_t B, int64_t T) {
  const int64_t d = s.d, nh = s.nh, hs = s.hs(), d3 = 3 * d;
  const float scale = float(1.0 / std::sqrt(double(hs)));
  parallel_for(B * nh, [&](int64_t task, int) {
    const int64_t b = task / nh, h = task % nh;
    const int64_t st = starts[b];
    const int64_t n = T - st;
    const float* base = qkv + b * T * d3;
    const float* Q = base + h * hs + st * d3;
    const float* K = base + d + h * hs + st * d3;
    const float* Vv = base + 2 * d + h * hs + st * d3;
    const float* P = att + task * T * T + st * T + st;  // [n, n] with stride T
    float* dP = datt + task * T * T + st * T + st;
    const float* dY = datty + (b * T + st) * d + h * hs;
    float* dbase = dqkv + b * T * d3;
    float* dQ = dbase + h * hs + st * d3;
    float* dK = dbase + d + h * hs + st * d3;
    float* dV = dbase + 2 * d + h * hs + st * d3;
    // pad rows get no gradient
    for (int64_t t = 0; t < st; t++) {
      float* r = dbase + t * d3;
      std::memset(r + h * hs, 0, sizeof(float) * hs);
      std::memset(r + d + h * hs, 0, sizeof(float) * hs);
      std::memset(r + 2 * d + h * hs, 0, sizeof(float) * hs);
    }
    // Query blocks [a, b) (relative to st) touch keys 0..b−1 only. dK and dV sum over blocks in a fixed order:
    // last block first. The last block sees every key, so its products write dK and dV (no zeroing pass) and
    // the earlier blocks accumulate into them.
    const int64_t nblocks = (n + kQueryBlock - 1) / kQueryBlock;
    for (int64_t blk = nblocks - 1; blk >= 0; blk--) {
      const int64_t qa = blk * kQueryBlock;
      const int64_t qb = qa + kQueryBlock < n ? qa + kQueryBlock : n;
      const int64_t rows = qb - qa, keys = qb;
      const bool acc = blk != nblocks - 1;
      const float* Pb = P + qa * T;
      float* dPb = dP + qa * T;
      const float* dYb = dY + qa * d;
      sgemm(rows, keys, hs, dYb, d, false, Vv, d3, true, dPb, T, false);  // dP = dY·Vᵀ
      sgemm(keys, hs, rows, Pb, T, true, dYb, d, false, dV, d3, acc);      // dV (+)= Pᵀ·dY
      for (int64_t i = qa; i < qb; i++) {                                 // dS = P ⊙ (dP − Σ P·dP) · scale
        const float* pr = P + i * T;
        float* dr = dP + i * T;
        const float fs = float(dot_double(pr, dr, i + 1));
        softmax_backward_span(pr, dr, fs, scale, i + 1);
        for (int64_t j = i + 1; j < keys; j++) dr[j] = 0;
      }
      sgemm(rows, hs, keys, dPb, T, false, K, d3, false, dQ + qa * d3, d3, false);  // dQ = dS·K
      sgemm(keys, hs, rows, dPb, T, true, Q + qa * d3, d3, false, dK, d3, acc);      // dK (+)= dSᵀ·Q
    }
  });
}

// Scalar heads on rows of h [rows, d] (row r of the output ↔ row rowIndex(r) of h).
template <typename RowFn>
void heads_forward(const Shape& s, const float* params, const ParamLayout& P, const float* hid, int64_t rows,
                   RowFn rowIndex, float* heads) {
  const int64_t d = s.d;
  for (int64_t hh = 0; hh < s.H; hh++) {
    const float* w = params + P.head0 + hh * (d + 1);
    const float bias = w[d];
    parallel_range(rows, 64, [&](int64_t r0, int64_t r1, int) {
      for (int64_t r = r0; r < r1; r++) heads[hh * rows + r] = dot(hid + rowIndex(r) * d, w, d) + bias;
    });
  }
}

// The rest of an inference block after attention, in place on x [rows, d]: x += atty·Wproj + bproj, then
// x += gelu(LN2(x)·Wfc + bfc)·Wfcproj + bfcproj. ln and fch are scratch.
void block_tail(const Shape& s, const float* params, const ParamLayout::Layer& W, float* x, float* ln, const float* atty,
                float* fch, int64_t rows) {
  const int64_t d = s.d, F = s.F();
  set_bias_rows(x, x, params + W.projb, rows, d);
  linear(atty, params + W.projw, x, rows, d, d, true);
  layernorm_rows(x, ln, params + W.ln2g, params + W.ln2b, rows, d, nullptr, nullptr);
  linear(ln, params + W.fcw, fch, rows, d, F, false);
  gelu_rows(fch, params + W.fcb, fch, rows, F);
  set_bias_rows(x, x, params + W.fcprojb, rows, d);
  linear(fch, params + W.fcprojw, x, rows, F, d, true);
}

// Runs one block in inference mode, in place on x [B·T, d]. lastOnly: after K and V of every column, only the last
// column goes on; x is compacted to [B, d]. Optionally stores K/V in the cache (prefill).
void block_inference(const Shape& s, const float* params, const ParamLayout::Layer& W, const Layout& A, float* acts,
                     float* x, const int32_t* starts, int64_t B, int64_t T, bool lastOnly, float* cache, int64_t l) {
  const int64_t d = s.d, N = B * T;
  float* ln = acts + A.ln;
  float* qkv = acts + A.qkv;
  float* atty = acts + A.atty;
  float* fch = acts + A.fch;
  layernorm_rows(x, ln, params + W.ln1g, params + W.ln1b, N, d, nullptr, nullptr);
  set_bias_rows(qkv, nullptr, params + W.qkvb, N, 3 * d);
  linear(ln, params + W.qkvw, qkv, N, d, 3 * d, true);
  if (cache) {
    const int64_t nh = s.nh, hs = s.hs(), C = s.C;
    parallel_for(B, [&](int64_t b, int) {
      for (int64_t kv = 0; kv < 2; kv++)
        for (int64_t h = 0; h < nh; h++) {
          float* dst = cache + (((l * 2 + kv) * B + b) * nh + h) * C * hs;
          for (int64_t t = 0; t < T; t++)
            std::memcpy(dst + t * hs, qkv + (b * T + t) * 3 * d + (kv + 1) * d + h * hs, sizeof(float) * hs);
        }
    });
  }
  int64_t rows = N;
  if (lastOnly) {
    attention_forward(s, qkv, acts + A.att, T, atty, starts, B, T, true);
    for (int64_t b = 0; b < B; b++)
      if (b * T + T - 1 != b) std::memcpy(x + b * d, x + (b * T + T - 1) * d, sizeof(float) * d);
    rows = B;
  } else {
    attention_forward(s, qkv, acts + A.att, T * T, atty, starts, B, T, false);
  }
  block_tail(s, params, W, x, ln, atty, fch, rows);
}

// logProbs for rows [r0, r0+n) from their logits chunk.
void logprob_rows(const float* logits, int64_t V, const int32_t* targets, int64_t r0, int64_t n, float* logProbs) {
  parallel_range(n, 4, [&](int64_t a, int64_t b, int) {
    for (int64_t i = a; i < b; i++) {
      const float* row = logits + i * V;
      float z = logsumexp_row(row, V);
      logProbs[r0 + i] = row[targets[r0 + i]] - z;
    }
  });
}

// Training variant over all N rows: also leaves exp(logit − max) in `logits` and 1/Σ in `inv` for backward.
void logprob_rows_train(float* logits, int64_t V, const int32_t* targets, int64_t n, float* logProbs, float* inv) {
  parallel_range(n, 4, [&](int64_t a, int64_t b, int) {
    for (int64_t i = a; i < b; i++) {
      float* row = logits + i * V;
      const float target = row[targets[i]];
      logProbs[i] = target - logsumexp_keep_row(row, V, inv + i);
    }
  });
}

}  // namespace

// ---------------------------------------------------------------------------------------------------------------
// Sizes.

ParamLayout::Layer ParamLayout::layer(int64_t l) const {
  int64_t o = base + l * perLayer;
  Layer w{};
  w.ln1g = o;
  o += d;
  w.ln1b = o;
  o += d;
  w.qkvw = o;
  o += d * 3 * d;
  w.qkvb = o;
  o += 3 * d;
  w.projw = o;
  o += d * d;
  w.projb = o;
  o += d;
  w.ln2g = o;
  o += d;
  w.ln2b = o;
  o += d;
  w.fcw = o;
  o += d * F;
  w.fcb = o;
  o += F;
  w.fcprojw = o;
  o += F * d;
  w.fcprojb = o;
  return w;
}

ParamLayout param_layout(const Shape& s) {
  ParamLayout P{};
  const int64_t d = s.d, F = cmul(s.r, d);
  P.d = d;
  P.F = F;
  P.wte = 0;
  P.wpe = cmul(s.V, d);
  P.base = cadd(P.wpe, cmul(s.C, d));
  // 2d + (3d² + 3d) + (d² + d) + 2d + (dF + F) + (Fd + d)
  int64_t per = cadd(cadd(cadd(cmul(4, cmul(d, d)), cmul(2, cmul(d, F))), cmul(9, d)), F);
  P.perLayer = per;
  P.lnfg = cadd(P.base, cmul(per, s.L));
  P.lnfb = P.lnfg + d;
  P.head0 = cadd(P.lnfb, d);
  P.total = cadd(P.head0, cmul(s.H, d + 1));
  return P;
}

int64_t parameter_count(const Shape& s) { return param_layout(s).total; }
int64_t activation_size(const Shape& s, int64_t B, int64_t T, bool train) { return make_layout(s, B, T, train).total; }
int64_t cache_size(const Shape& s, int64_t B) { return cmul(cmul(cmul(s.L, 2), cmul(B, s.C)), s.d); }

// ---------------------------------------------------------------------------------------------------------------
// Forward.

void forward(const Shape& s, const float* params, float* acts, const int32_t* ids, const int32_t* starts, int64_t B,
             int64_t T, const int32_t* targets, float* logProbs, float* heads, int headsAt, bool train,
             const uint32_t* bf16) {
  const PrecisionScope precision(s, params, bf16);
  const ParamLayout P = param_layout(s);
  const Layout A = make_layout(s, B, T, train);
  const int64_t d = s.d, F = s.F(), N = B * T, V = s.V;
  acts[0] = 0;  // invalid until a train forward completes
  if (!train) {
    if (!targets && !heads) return;
    float* x = acts + A.x;
    embed(s, params, P, ids, starts, B, T, x);
    const bool lastOnly = !targets && headsAt == 1 && T > 1 && s.L >= 1;
    for (int64_t l = 0; l < s.L; l++)
      block_inference(s, params, P.layer(l), A, acts, x, starts, B, T, lastOnly && l == s.L - 1, nullptr, l);
    const int64_t rows = lastOnly ? B : N;
    float* ln = acts + A.ln;
    layernorm_rows(x, ln, params + P.lnfg, params + P.lnfb, rows, d, nullptr, nullptr);
    if (heads) {
      if (headsAt == 0) heads_forward(s, params, P, ln, N, [](int64_t r) { return r; }, heads);
      else if (lastOnly) heads_forward(s, params, P, ln, B, [](int64_t r) { return r; }, heads);
      else heads_forward(s, params, P, ln, B, [T](int64_t r) { return r * T + T - 1; }, heads);
    }
    if (targets) {
      float* chunk = acts + A.chunk;
      for (int64_t r0 = 0; r0 < N; r0 += kLogitChunk) {
        const int64_t n = N - r0 < kLogitChunk ? N - r0 : kLogitChunk;
        mm(n, V, d, ln + r0 * d, d, false, params + P.wte, d, true, chunk, V, false);
        logprob_rows(chunk, V, targets, r0, n, logProbs);
      }
    }
    return;
  }

  float* x0 = acts + A.encoded;
  embed(s, params, P, ids, starts, B, T, x0);
  const float* in = x0;
  for (int64_t l = 0; l < s.L; l++) {
    const ParamLayout::Layer W = P.layer(l);
    TrainLayer a = train_layer(A, acts, l);
    layernorm_rows(in, a.ln1, params + W.ln1g, params + W.ln1b, N, d, a.ln1m, a.ln1r);
    set_bias_rows(a.qkv, nullptr, params + W.qkvb, N, 3 * d);
    linear(a.ln1, params + W.qkvw, a.qkv, N, d, 3 * d, true);
    attention_forward(s, a.qkv, a.att, T * T, a.atty, starts, B, T, false);
    set_bias_rows(a.res2, in, params + W.projb, N, d);
    linear(a.atty, params + W.projw, a.res2, N, d, d, true);
    layernorm_rows(a.res2, a.ln2, params + W.ln2g, params + W.ln2b, N, d, a.ln2m, a.ln2r);
    linear(a.ln2, params + W.fcw, a.fch, N, d, F, false);  // ln2·Wfc without the bias ...
    parallel_range(N, row_grain(F), [&](int64_t r0, int64_t r1, int) {  // ... then fch := gelu'(fch + bfc)
      gelu_forward_train(a.fch + r0 * F, params + W.fcb, a.fchg + r0 * F, r1 - r0, F);
    });
    set_bias_rows(a.res3, a.res2, params + W.fcprojb, N, d);
    linear(a.fchg, params + W.fcprojw, a.res3, N, F, d, true);
    in = a.res3;
  }
  float* lnf = acts + A.lnf;
  layernorm_rows(in, lnf, params + P.lnfg, params + P.lnfb, N, d, acts + A.lnfm, acts + A.lnfr);
  if (heads) {
    if (headsAt == 0) heads_forward(s, params, P, lnf, N, [](int64_t r) { return r; }, heads);
    else heads_forward(s, params, P, lnf, B, [T](int64_t r) { return r * T + T - 1; }, heads);
  }
  if (targets) {
    float* logits = acts + A.logits;
    mm(N, V, d, lnf, d, false, params + P.wte, d, true, logits, V, false);
    logprob_rows_train(logits, V, targets, N, logProbs, acts + A.sminv);
  }
  acts[1] = float(B);
  acts[2] = float(T);
  acts[3] = targets ? 1.0f : 0.0f;
  acts[0] = kMagic;
}

// ---------------------------------------------------------------------------------------------------------------
// Backward.

bool backward(const Shape& s, const float* params, float* grads, float* acts, const int32_t* ids, const int32_t* starts,
              int64_t B, int64_t T, const int32_t* targets, const float* dLogProbs, const float* dHeads, int headsAt,
              const uint32_t* bf16) {
  if (acts[0] != kMagic || acts[1] != float(B) || acts[2] != float(T)) return false;
  if (targets && dLogProbs && acts[3] != 1.0f) return false;
  const PrecisionScope precision(s, params, bf16);
  const ParamLayout P = param_layout(s);
  const Layout A = make_layout(s, B, T, true);
  const int64_t d = s.d, F = s.F(), N = B * T, V = s.V;
  const float* lnf = acts + A.lnf;
  float* dlnf = acts + A.dln;
  float* dres = acts + A.dres;

  // LM head: dlogits = dlogp·(onehot − softmax), a chunk of rows at a time.
  if (targets && dLogProbs) {
    const float* expl = acts + A.logits;  // exp(logit − row max), see logprob_rows_train
    const float* inv = acts + A.sminv;
    float* dl = acts + A.dlogits;
    for (int64_t r0 = 0; r0 < N; r0 += kLogitChunk) {
      const int64_t n = N - r0 < kLogitChunk ? N - r0 : kLogitChunk;
      parallel_range(n, 4, [&](int64_t a, int64_t b, int) {
        for (int64_t i = a; i < b; i++) {
          const int64_t r = r0 + i;
          dlogits_row(expl + r * V, inv[r], targets[r], dLogProbs[r], dl + i * V, V);
        }
      });
      mm(n, d, V, dl, V, false, params + P.wte, d, false, dlnf + r0 * d, d, false);
      mm(V, d, n, dl, V, true, lnf + r0 * d, d, false, grads + P.wte, d, true);
    }
  } else {
    std::memset(dlnf, 0, sizeof(float) * N * d);
  }

  // Scalar heads.
  if (dHeads && s.H > 0) {
    const int64_t rows = headsAt == 0 ? N : B;
    auto rowIndex = [&](int64_t r) { return headsAt == 0 ? r : r * T + T - 1; };
    parallel_range(rows, 16, [&](int64_t r0, int64_t r1, int) {
      for (int64_t r = r0; r < r1; r++)
        for (int64_t hh = 0; hh < s.H; hh++)
          axpy(dHeads[hh * rows + r], params + P.head0 + hh * (d + 1), dlnf + rowIndex(r) * d, d);
    });
    for (int64_t hh = 0; hh < s.H; hh++) {
      float* gw = grads + P.head0 + hh * (d + 1);
      const float* dh = dHeads + hh * rows;
      parallel_range(d, 16, [&](int64_t c0, int64_t c1, int) {
        std::vector<float> acc(c1 - c0, 0.0f);
        for (int64_t r = 0; r < rows; r++) {
          const float* hr = lnf + rowIndex(r) * d;
          const float w = dh[r];
          for (int64_t c = c0; c < c1; c++) acc[c - c0] += w * hr[c];
        }
        for (int64_t c = c0; c < c1; c++) gw[c] += acc[c - c0];
      });
      double sb = 0;
      for (int64_t r = 0; r < rows; r++) sb += dh[r];
      gw[d] += float(sb);
    }
  }

  // Final LayerNorm.
  const float* lastOut = s.L > 0 ? train_layer(A, acts, s.L - 1).res3 : acts + A.encoded;
  layernorm_backward_rows(lastOut, dlnf, params + P.lnfg, acts + A.lnfm, acts + A.lnfr, dres, grads + P.lnfg,
                          grads + P.lnfb, N, d, false);  // dres = (not +=)

  float* dln = acts + A.dln;
  float* dqkv = acts + A.dqkv;
  float* datty = acts + A.datty;
  float* dfch = acts + A.dfch;
  float* datt = acts + A.datt;
  for (int64_t l = s.L - 1; l >= 0; l--) {
    const ParamLayout::Layer W = P.layer(l);
    TrainLayer a = train_layer(A, acts, l);
    const float* in = l > 0 ? train_layer(A, acts, l - 1).res3 : acts + A.encoded;
    // MLP projection: res3 = res2 + fchg·Wp + bp
    mm(F, d, N, a.fchg, F, true, dres, d, false, grads + W.fcprojw, d, true);
    column_sums(grads + W.fcprojb, dres, N, d);
    mm(N, F, d, dres, d, false, params + W.fcprojw, d, true, dfch, F, false);
    parallel_range(N, row_grain(F), [&](int64_t r0, int64_t r1, int) { mul_inplace(a.fch + r0 * F, dfch + r0 * F, (r1 - r0) * F); });  // · gelu'
    // MLP up: fch = ln2·Wfc + bfc
    mm(d, F, N, a.ln2, d, true, dfch, F, false, grads + W.fcw, F, true);
    column_sums(grads + W.fcb, dfch, N, F);
    mm(N, d, F, dfch, F, false, params + W.fcw, F, true, dln, d, false);
    layernorm_backward_rows(a.res2, dln, params + W.ln2g, a.ln2m, a.ln2r, dres, grads + W.ln2g, grads + W.ln2b, N, d,
                            true);
    // attention projection: res2 = in + atty·Wproj + bproj
    mm(d, d, N, a.atty, d, true, dres, d, false, grads + W.projw, d, true);
    column_sums(grads + W.projb, dres, N, d);
    mm(N, d, d, dres, d, false, params + W.projw, d, true, datty, d, false);
    attention_backward(s, a.qkv, a.att, datt, datty, dqkv, starts, B, T);
    // qkv = ln1·Wqkv + bqkv
    mm(d, 3 * d, N, a.ln1, d, true, dqkv, 3 * d, false, grads + W.qkvw, 3 * d, true);
    column_sums(grads + W.qkvb, dqkv, N, 3 * d);
    mm(N, d, 3 * d, dqkv, 3 * d, false, params + W.qkvw, 3 * d, true, dln, d, false);
    layernorm_backward_rows(in, dln, params + W.ln1g, a.ln1m, a.ln1r, dres, grads + W.ln1g, grads + W.ln1b, N, d,
                            true);
  }

  // Embeddings: partitioned over columns, tokens summed in order.
  float* gwte = grads + P.wte;
  float* gwpe = grads + P.wpe;
  parallel_range(d, 8, [&](int64_t c0, int64_t c1, int) {
    for (int64_t n = 0; n < N; n++) {
      const int64_t b = n / T, t = n % T;
      int64_t pos = t - starts[b];
      if (pos < 0) pos = 0;
      const float* g = dres + n * d;
      float* te = gwte + int64_t(ids[n]) * d;
      float* pe = gwpe + pos * d;
      for (int64_t c = c0; c < c1; c++) {
        te[c] += g[c];
        pe[c] += g[c];
      }
    }
  });
  return true;
}

// ---------------------------------------------------------------------------------------------------------------
// KV cache.

void prefill(const Shape& s, const float* params, float* cache, float* acts, const int32_t* ids, const int32_t* starts,
             int64_t B, int64_t T, float* logits, const uint32_t* bf16) {
  const PrecisionScope precision(s, params, bf16);
  const ParamLayout P = param_layout(s);
  const Layout A = make_layout(s, B, T, false);
  const int64_t d = s.d;
  acts[0] = 0;
  float* x = acts + A.x;
  embed(s, params, P, ids, starts, B, T, x);
  for (int64_t l = 0; l < s.L; l++)
    block_inference(s, params, P.layer(l), A, acts, x, starts, B, T, l == s.L - 1 && T > 1, cache, l);
  // after the last block x holds the last column of each row in rows 0..B−1 (T > 1), or is [B, d] already (T = 1)
  float* ln = acts + A.ln;
  if (s.L == 0 && T > 1)
    for (int64_t b = 0; b < B; b++) std::memcpy(x + b * d, x + (b * T + T - 1) * d, sizeof(float) * d);
  layernorm_rows(x, ln, params + P.lnfg, params + P.lnfb, B, d, nullptr, nullptr);
  mm(B, s.V, d, ln, d, false, params + P.wte, d, true, logits, s.V, false);
}

void decode(const Shape& s, const float* params, float* cache, float* acts, const int32_t* tokens, const int32_t* starts,
            int64_t B, int64_t length, float* logits, const uint32_t* bf16) {
  const PrecisionScope precision(s, params, bf16);
  const ParamLayout P = param_layout(s);
  const Layout A = make_layout(s, B, 1, false);
  const int64_t d = s.d, nh = s.nh, hs = s.hs(), C = s.C;
  acts[0] = 0;
  float* x = acts + A.x;
  float* ln = acts + A.ln;
  float* qkv = acts + A.qkv;
  float* atty = acts + A.atty;
  float* fch = acts + A.fch;
  float* att = acts + A.att;  // B·nh·C floats at least
  const float scale = float(1.0 / std::sqrt(double(hs)));
  for (int64_t b = 0; b < B; b++) {
    const float* te = params + P.wte + int64_t(tokens[b]) * d;
    const float* pe = params + P.wpe + (length - starts[b]) * d;
    for (int64_t c = 0; c < d; c++) x[b * d + c] = te[c] + pe[c];
  }
  for (int64_t l = 0; l < s.L; l++) {
    const ParamLayout::Layer W = P.layer(l);
    layernorm_rows(x, ln, params + W.ln1g, params + W.ln1b, B, d, nullptr, nullptr);
    set_bias_rows(qkv, nullptr, params + W.qkvb, B, 3 * d);
    linear(ln, params + W.qkvw, qkv, B, d, 3 * d, true);
    auto attend = [&](int64_t task, int) {
      const int64_t b = task / nh, h = task % nh;
      float* Kc = cache + (((l * 2 + 0) * B + b) * nh + h) * C * hs;
      float* Vc = cache + (((l * 2 + 1) * B + b) * nh + h) * C * hs;
      const float* q = qkv + b * 3 * d + h * hs;
      std::memcpy(Kc + length * hs, qkv + b * 3 * d + d + h * hs, sizeof(float) * hs);
      std::memcpy(Vc + length * hs, qkv + b * 3 * d + 2 * d + h * hs, sizeof(float) * hs);
      const int64_t st = starts[b];
      float* sc = att + task * C;
      for (int64_t j = st; j <= length; j++) sc[j] = dot(q, Kc + j * hs, hs);
      softmax_span(sc, st, length, scale);
      float* o = atty + b * d + h * hs;
      std::memset(o, 0, sizeof(float) * hs);
      for (int64_t j = st; j <= length; j++) axpy(sc[j], Vc + j * hs, o, hs);
    };
    if (B * nh * (length + 1) * hs < (int64_t(1) << 18)) {
      for (int64_t task = 0; task < B * nh; task++) attend(task, 0);  // too small to be worth a dispatch
    } else {
      parallel_for(B * nh, attend);
    }
    block_tail(s, params, W, x, ln, atty, fch, B);
  }
  layernorm_rows(x, ln, params + P.lnfg, params + P.lnfb, B, d, nullptr, nullptr);
  mm(B, s.V, d, ln, d, false, params + P.wte, d, true, logits, s.V, false);
}

// ---------------------------------------------------------------------------------------------------------------
// Responses scored against a prompt encoded once.

void score_responses(const Shape& s, const float* params, float* acts, const int32_t* prompt, int64_t P,
                     const int32_t* responses, const int32_t* lengths, int64_t B, int64_t R, float* heads,
                     const uint32_t* bf16) {
  // 1. The prompt's keys and values, once (a one-row prefill into a private cache).
  std::vector<float> cache(size_t(cache_size(s, 1)));
  {
    std::vector<float> pacts(size_t(activation_size(s, 1, P, false)));
    std::vector<float> plogits(size_t(s.V));
    const int32_t start0 = 0;
    prefill(s, params, cache.data(), pacts.data(), prompt, &start0, 1, P, plogits.data(), bf16);
  }
  const PrecisionScope precision(s, params, bf16);
  const ParamLayout PL = param_layout(s);
  const Layout A = make_layout(s, B, R, false);
  const int64_t d = s.d, nh = s.nh, hs = s.hs(), C = s.C, N = B * R, d3 = 3 * d, W = P + R;
  acts[0] = 0;
  float* x = acts + A.x;
  float* ln = acts + A.ln;
  float* qkv = acts + A.qkv;
  float* atty = acts + A.atty;
  float* fch = acts + A.fch;
  std::vector<float> att(size_t(cmul(cmul(B, nh), cmul(R, W))));
  const float scale = float(1.0 / std::sqrt(double(hs)));
  // 2. Response tokens at positions P..P+R−1 (right-padded rows: a pad column only sees earlier columns, and
  //    nothing reads it).
  parallel_range(N, 16, [&](int64_t r0, int64_t r1, int) {
    for (int64_t n = r0; n < r1; n++) {
      const float* te = params + PL.wte + int64_t(responses[n]) * d;
      const float* pe = params + PL.wpe + (P + n % R) * d;
      for (int64_t c = 0; c < d; c++) x[n * d + c] = te[c] + pe[c];
    }
  });
  for (int64_t l = 0; l < s.L; l++) {
    const ParamLayout::Layer Wl = PL.layer(l);
    layernorm_rows(x, ln, params + Wl.ln1g, params + Wl.ln1b, N, d, nullptr, nullptr);
    set_bias_rows(qkv, nullptr, params + Wl.qkvb, N, d3);
    linear(ln, params + Wl.qkvw, qkv, N, d, d3, true);
    if (l == s.L - 1) break;  // the last block needs every key and value but only each row's last query
    // Query t of row b sees the prompt's P keys and its own response keys 0..t: scores [R, P + R] per (b, h).
    parallel_for(B * nh, [&](int64_t task, int) {
      const int64_t b = task / nh, h = task % nh;
      const float* Kp = cache.data() + ((l * 2 + 0) * nh + h) * C * hs;
      const float* Vp = cache.data() + ((l * 2 + 1) * nh + h) * C * hs;
      const float* base = qkv + b * R * d3;
      const float* Q = base + h * hs;
      const float* Kr = base + d + h * hs;
      const float* Vr = base + 2 * d + h * hs;
      float* S = att.data() + task * R * W;
      sgemm(R, P, hs, Q, d3, false, Kp, hs, true, S, W, false);
      sgemm(R, R, hs, Q, d3, false, Kr, d3, true, S + P, W, false);
      for (int64_t t = 0; t < R; t++) {
        float* row = S + t * W;
        softmax_span(row, 0, P + t, scale);
        for (int64_t j = P + t + 1; j < W; j++) row[j] = 0;
      }
      float* o = atty + b * R * d + h * hs;
      sgemm(R, hs, P, S, W, false, Vp, hs, false, o, d, false);
      sgemm(R, hs, R, S + P, W, false, Vr, d3, false, o, d, true);
    });
    block_tail(s, params, Wl, x, ln, atty, fch, N);
  }
  // 3. The last block for each row's last real response token only (as scoring a full sequence runs its last
  //    block for the last column only): attention into atty [B, d], x compacted to [B, d], then the heads.
  const int64_t lastLayer = s.L - 1;
  parallel_for(B * nh, [&](int64_t task, int) {
    const int64_t b = task / nh, h = task % nh, t = lengths[b] - 1;
    const float* Kp = cache.data() + ((lastLayer * 2 + 0) * nh + h) * C * hs;
    const float* Vp = cache.data() + ((lastLayer * 2 + 1) * nh + h) * C * hs;
    const float* base = qkv + b * R * d3;
    const float* q = base + t * d3 + h * hs;
    float* row = att.data() + task * W;
    for (int64_t j = 0; j < P; j++) row[j] = dot(q, Kp + j * hs, hs);
    for (int64_t j = 0; j <= t; j++) row[P + j] = dot(q, base + j * d3 + d + h * hs, hs);
    softmax_span(row, 0, P + t, scale);
    float* o = atty + b * d + h * hs;
    std::memset(o, 0, sizeof(float) * hs);
    for (int64_t j = 0; j < P; j++) axpy(row[j], Vp + j * hs, o, hs);
    for (int64_t j = 0; j <= t; j++) axpy(row[P + j], base + j * d3 + 2 * d + h * hs, o, hs);
  });
  // Row b's source b·R + lengths[b] − 1 ≥ b, and later rows' sources lie beyond it: in order, nothing is overwritten
  // before it is read.
  for (int64_t b = 0; b < B; b++) {
    const int64_t last = b * R + lengths[b] - 1;
    if (last != b) std::memcpy(x + b * d, x + last * d, sizeof(float) * d);
  }
  block_tail(s, params, PL.layer(lastLayer), x, ln, atty, fch, B);
  layernorm_rows(x, ln, params + PL.lnfg, params + PL.lnfb, B, d, nullptr, nullptr);
  heads_forward(s, params, PL, ln, B, [](int64_t r) { return r; }, heads);
}

// ---------------------------------------------------------------------------------------------------------------
// Optimiser helpers.

namespace {
constexpr int64_t kBlock = 1 << 16;

double sumsq_block(const float* g, int64_t n) { return dot_double(g, g, n); }

// x·0 is 0 for finite x and NaN otherwise: a branch-free, vectorisable scan.
GH_CLONES bool all_finite(const float* x, int64_t n) {
  float acc[16] = {0};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; k++) acc[k] += x[i + k] * 0.0f;
  float s = 0;
  for (int k = 0; k < 16; k++) s += acc[k];
  for (; i < n; i++) s += x[i] * 0.0f;
  return s == 0.0f;
}

GH_CLONES void adamw_span(float* p, const float* g, float* m, float* v, int64_t n, float scale, float b1, float b2,
                          float c1, float c2, float lr, float eps, float decay) {
  const float ob1 = 1.0f - b1, ob2 = 1.0f - b2;
  for (int64_t i = 0; i < n; i++) {
    float gi = g[i] * scale;
    float mi = b1 * m[i] + ob1 * gi;
    float vi = b2 * v[i] + ob2 * (gi * gi);
    m[i] = mi;
    v[i] = vi;
    float update = (mi / c1) / (std::sqrt(vi / c2) + eps);
    float before = p[i];
    p[i] = (before - lr * update) - before * decay;
  }
}
}  // namespace

double grad_norm(const float* g, int64_t n) {
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<double> partial(blocks > 0 ? blocks : 1, 0.0);
  parallel_for(blocks, [&](int64_t k, int) {
    const int64_t a = k * kBlock, b = a + kBlock < n ? a + kBlock : n;
    partial[k] = sumsq_block(g + a, b - a);
  });
  double s = 0;
  for (int64_t k = 0; k < blocks; k++) s += partial[k];
  return std::sqrt(s);
}

int64_t first_non_finite(const float* x, int64_t n) {
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<int64_t> found(blocks > 0 ? blocks : 1, -1);
  parallel_for(blocks, [&](int64_t k, int) {
    const int64_t a = k * kBlock, b = a + kBlock < n ? a + kBlock : n;
    if (all_finite(x + a, b - a)) return;
    for (int64_t i = a; i < b; i++)
      if (!std::isfinite(x[i])) {
        found[k] = i;
        return;
      }
  });
  for (int64_t k = 0; k < blocks; k++)
    if (found[k] >= 0) return found[k];
  return -1;
}

void adamw(float* p, const float* g, float* m, float* v, int64_t n, const int32_t* ranges, int64_t nranges,
           const AdamWArgs& a) {
  const float c1 = float(1.0 - std::pow(a.beta1, double(a.step)));
  const float c2 = float(1.0 - std::pow(a.beta2, double(a.step)));
  const float lr = float(a.lr), decay = float(a.lr * a.weightDecay);
  // Spans of constant decay: split [0, n) at the range boundaries, then into blocks.
  struct Span {
    int64_t a, b;
    bool decay;
  };
  std::vector<Span> spans;
  int64_t pos = 0;
  auto push = [&](int64_t lo, int64_t hi, bool dec) {
    for (int64_t x = lo; x < hi; x += kBlock) spans.push_back({x, x + kBlock < hi ? x + kBlock : hi, dec});
  };
  for (int64_t k = 0; k < nranges; k++) {
    const int64_t lo = ranges[2 * k], hi = ranges[2 * k + 1];
    push(pos, lo, false);
    push(lo, hi, true);
    pos = hi;
  }
  push(pos, n, false);
  parallel_for(int64_t(spans.size()), [&](int64_t k, int) {
    const Span& sp = spans[k];
    adamw_span(p + sp.a, g + sp.a, m + sp.a, v + sp.a, sp.b - sp.a, float(a.gradScale), float(a.beta1), float(a.beta2),
               c1, c2, lr, float(a.eps), sp.decay ? decay : 0.0f);
  });
}

}  // namespace gh

namespace gh {

// Inverse-CDF sampling, as packages/core's Rng.categorical: the first index whose running sum of the weights
// exp((x − max)/T) exceeds u·Σ weights. The weights are summed in double in index order, so a row's draw depends
// only on that row (any thread count). The log-probability is at temperature 1, as PPO and KL need.
bool draw_tokens(const float* logits, int64_t B, int64_t V, double temperature, const double* uniforms, int32_t* tokens,
                 float* logProbs, int64_t* badRow) {
  std::vector<int64_t> bad(static_cast<size_t>(B), 0);
  parallel_range(B, 16, [&](int64_t begin, int64_t end, int) {
    std::vector<float> scratch(static_cast<size_t>(V));
    float* w = scratch.data();
    for (int64_t b = begin; b < end; b++) {
      const float* x = logits + b * V;
      float mx = -INFINITY;
      for (int64_t i = 0; i < V; i++) mx = x[i] > mx ? x[i] : mx;
      if (!std::isfinite(mx)) {
        bad[size_t(b)] = 1;
        continue;
      }
      // Divided in double: 1/temperature overflows float for temperatures below ~3e-39 (then argmax is drawn).
      for (int64_t i = 0; i < V; i++) w[i] = fast_exp(float(double(x[i] - mx) / temperature));
      double total = 0;
      for (int64_t i = 0; i < V; i++) total += w[i];
      if (!std::isfinite(total) || !(total > 0)) {
        bad[size_t(b)] = 1;
        continue;
      }
      double target = uniforms[b] * total;
      int64_t chosen = V - 1;
      for (int64_t i = 0; i < V; i++) {
        target -= w[i];
        if (target < 0) {
          chosen = i;
          break;
        }
      }
      tokens[b] = int32_t(chosen);
      logProbs[b] = x[chosen] - logsumexp_row(x, V);
    }
  });
  for (int64_t b = 0; b < B; b++)
    if (bad[size_t(b)]) {
      *badRow = b;
      return false;
    }
  return true;
}

}  // namespace gh
