// The GPT-2 style transformer of packages/model (gpt.ts), written llm.c style: fused per-layer forward and
// backward over plain float arrays that JavaScript owns. Callers (binding.cc) validate every argument first; the
// functions here trust their inputs.
#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

namespace gh {

struct Shape {
  int64_t V = 0;   // vocabSize
  int64_t C = 0;   // contextLength
  int64_t L = 0;   // layers
  int64_t d = 0;   // dModel
  int64_t nh = 0;  // heads
  int64_t r = 0;   // mlpRatio
  int64_t H = 0;   // scalarHeads
  int64_t hs() const { return d / nh; }
  int64_t F() const { return r * d; }
};

// Thrown by the size helpers when a product would overflow; binding.cc turns it into a RangeError.
struct SizeError : std::runtime_error {
  explicit SizeError(const std::string& what) : std::runtime_error(what) {}
};

// Offsets of every tensor inside the packed parameter array (see binding.ts).
struct ParamLayout {
  int64_t wte, wpe;
  struct Layer {
    int64_t ln1g, ln1b, qkvw, qkvb, projw, projb, ln2g, ln2b, fcw, fcb, fcprojw, fcprojb;
  };
  Layer layer(int64_t l) const;
  int64_t lnfg, lnfb;
  int64_t head0;  // head h: w at head0 + h*(d+1), b right after
  int64_t total;
  int64_t perLayer;
  int64_t base;  // offset of layer 0
  int64_t d, F;
};

ParamLayout param_layout(const Shape& s);
int64_t parameter_count(const Shape& s);
int64_t activation_size(const Shape& s, int64_t B, int64_t T, bool train);
int64_t cache_size(const Shape& s, int64_t B);

// See binding.ts for the semantics. ids/starts/targets are trusted (validated) here. bf16: the weight pack of
// precision.h (bf16_pack of these params) to run the matrix products in bfloat16, or nullptr for fp32.
void forward(const Shape& s, const float* params, float* acts, const int32_t* ids, const int32_t* starts, int64_t B,
             int64_t T, const int32_t* targets, float* logProbs, float* heads, int headsAt, bool train,
             const uint32_t* bf16 = nullptr);

// Returns false when `acts` does not hold a train forward of this batch (its header does not match).
bool backward(const Shape& s, const float* params, float* grads, float* acts, const int32_t* ids, const int32_t* starts,
              int64_t B, int64_t T, const int32_t* targets, const float* dLogProbs, const float* dHeads, int headsAt,
              const uint32_t* bf16 = nullptr);

void prefill(const Shape& s, const float* params, float* cache, float* acts, const int32_t* ids, const int32_t* starts,
             int64_t B, int64_t T, float* logits, const uint32_t* bf16 = nullptr);

void decode(const Shape& s, const float* params, float* cache, float* acts, const int32_t* tokens, const int32_t* starts,
            int64_t B, int64_t length, float* logits, const uint32_t* bf16 = nullptr);

// Scalar heads [H, B] of B sequences that share a prompt: prompt [P] encoded once, then responses [B, R] (row b's
// real tokens are columns 0..lengths[b]−1, right-padded) attending to the prompt's cached keys/values and causally
// to themselves; the heads read each row's last real token. Equals forward() on prompt ++ response (up to the
// summation order of the attention products). P + R ≤ C; acts sized activationSize(shape, B, R, false).
void score_responses(const Shape& s, const float* params, float* acts, const int32_t* prompt, int64_t P,
                     const int32_t* responses, const int32_t* lengths, int64_t B, int64_t R, float* heads,
                     const uint32_t* bf16 = nullptr);

double grad_norm(const float* g, int64_t n);
int64_t first_non_finite(const float* x, int64_t n);

struct AdamWArgs {
  int64_t step;
  double lr, beta1, beta2, eps, weightDecay, gradScale;
};
// ranges: pairs [start, end), sorted and disjoint.
void adamw(float* p, const float* g, float* m, float* v, int64_t n, const int32_t* ranges, int64_t nranges,
           const AdamWArgs& a);

// One token per row from softmax(logits[b] / temperature) with uniforms[b] ∈ [0, 1); logProbs at temperature 1.
// Returns false with *badRow set when a row's logits are not finite.
bool draw_tokens(const float* logits, int64_t B, int64_t V, double temperature, const double* uniforms, int32_t* tokens,
                 float* logProbs, int64_t* badRow);

}  // namespace gh
