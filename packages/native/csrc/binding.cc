// Node-API surface of the native engine (see src/binding.ts). Every argument is checked before any pointer is used;
// a bad argument throws a JavaScript TypeError or RangeError whose message starts with the argument's name.
#include <node_api.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

#include "gemm.h"
#include "model.h"
#include "precision.h"
#include "threadpool.h"

namespace {

using gh::Shape;

// ---------------------------------------------------------------------------------------------------------------
// Errors.

struct ArgError {
  bool range;  // RangeError (else TypeError)
  std::string message;
};
struct PendingJsError {};  // a JavaScript exception is already pending (e.g. a throwing getter)

[[noreturn]] void type_error(const std::string& m) { throw ArgError{false, m}; }
[[noreturn]] void range_error(const std::string& m) { throw ArgError{true, m}; }

void check(napi_env env, napi_status status) {
  if (status == napi_ok) return;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) throw PendingJsError{};
  const napi_extended_error_info* info = nullptr;
  napi_get_last_error_info(env, &info);
  throw std::runtime_error(std::string("Node-API call failed: ") +
                           (info && info->error_message ? info->error_message : "unknown error"));
}

std::mutex g_compute;  // the pool and the kernels are not re-entrant across JS threads (workers)

template <typename Fn>
napi_value guard(napi_env env, Fn&& fn) {
  try {
    return fn();
  } catch (const ArgError& e) {
    if (e.range) napi_throw_range_error(env, nullptr, e.message.c_str());
    else napi_throw_type_error(env, nullptr, e.message.c_str());
  } catch (const PendingJsError&) {
    // leave the pending exception to JavaScript
  } catch (const gh::SizeError& e) {
    napi_throw_range_error(env, nullptr, (std::string("shape, batch, time: sizes too large (") + e.what() + ")").c_str());
  } catch (const std::bad_alloc&) {
    napi_throw_error(env, nullptr, "goodhart_native: out of memory");
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, (std::string("goodhart_native: ") + e.what()).c_str());
  } catch (...) {
    napi_throw_error(env, nullptr, "goodhart_native: unknown C++ exception");
  }
  return nullptr;
}

// ---------------------------------------------------------------------------------------------------------------
// Argument readers.

struct Args {
  napi_env env;
  std::vector<napi_value> v;
  Args(napi_env e, napi_callback_info info, size_t n) : env(e), v(n) {
    size_t argc = n;
    check(env, napi_get_cb_info(env, info, &argc, v.data(), nullptr, nullptr));
    // missing arguments are left as undefined by Node-API
  }
  napi_value operator[](size_t i) const { return v[i]; }
};

const char* type_name(napi_env env, napi_value value) {
  napi_valuetype t;
  check(env, napi_typeof(env, value, &t));
  switch (t) {
    case napi_undefined: return "undefined";
    case napi_null: return "null";
    case napi_boolean: return "a boolean";
    case napi_number: return "a number";
    case napi_string: return "a string";
    case napi_symbol: return "a symbol";
    case napi_object: return "an object";
    case napi_function: return "a function";
    case napi_external: return "an external";
    case napi_bigint: return "a bigint";
  }
  return "an unknown value";
}

std::string num(double x) {
  if (std::isnan(x)) return "NaN";
  if (std::isinf(x)) return x > 0 ? "Infinity" : "-Infinity";
  char buf[64];
  if (x == std::floor(x) && std::fabs(x) < 1e17) std::snprintf(buf, sizeof buf, "%.0f", x);
  else std::snprintf(buf, sizeof buf, "%.9g", x);
  return buf;
}

double get_number(napi_env env, napi_value value, const std::string& name) {
  napi_valuetype t;
  check(env, napi_typeof(env, value, &t));
  if (t != napi_number) type_error(name + ": expected a number, got " + type_name(env, value));
  double x;
  check(env, napi_get_value_double(env, value, &x));
  return x;
}

int64_t get_int(napi_env env, napi_value value, const std::string& name, int64_t lo, int64_t hi) {
  double x = get_number(env, value, name);
  if (!std::isfinite(x) || x != std::floor(x) || x < double(lo) || x > double(hi))
    range_error(name + ": must be an integer in [" + num(double(lo)) + ", " + num(double(hi)) + "], got " + num(x));
  return int64_t(x);
}

double get_finite(napi_env env, napi_value value, const std::string& name) {
  double x = get_number(env, value, name);
  if (!std::isfinite(x)) range_error(name + ": must be a finite number, got " + num(x));
  return x;
}

bool get_bool(napi_env env, napi_value value, const std::string& name) {
  napi_valuetype t;
  check(env, napi_typeof(env, value, &t));
  if (t != napi_boolean) type_error(name + ": expected a boolean, got " + type_name(env, value));
  bool b;
  check(env, napi_get_value_bool(env, value, &b));
  return b;
}

bool is_nullish(napi_env env, napi_value value) {
  napi_valuetype t;
  check(env, napi_typeof(env, value, &t));
  return t == napi_null || t == napi_undefined;
}

const char* typed_name(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
  }
  return "a typed array";
}

struct Span {
  void* data = nullptr;
  int64_t length = 0;  // elements
  bool present = false;
};

Span get_typed(napi_env env, napi_value value, const std::string& name, napi_typedarray_type want, bool nullable) {
  Span s;
  if (nullable && is_nullish(env, value)) return s;
  bool isTyped = false;
  check(env, napi_is_typedarray(env, value, &isTyped));
  const char* wantName = typed_name(want);
  if (!isTyped) type_error(name + ": expected " + (wantName[0] == 'I' ? "an " : "a ") + wantName + (nullable ? " or null" : "") + ", got " + type_name(env, value));
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  napi_value buffer;
  size_t offset = 0;
  check(env, napi_get_typedarray_info(env, value, &type, &length, &data, &buffer, &offset));
  if (type != want) type_error(name + ": expected " + (wantName[0] == 'I' ? "an " : "a ") + wantName + ", got a " + typed_name(type));
  if (length > 0 && data == nullptr) type_error(name + ": its ArrayBuffer is detached");
  s.data = data;
  s.length = int64_t(length);
  s.present = true;
  return s;
}

Span get_f32(napi_env env, napi_value value, const std::string& name, bool nullable = false) {
  return get_typed(env, value, name, napi_float32_array, nullable);
}

void need_length(const Span& s, const std::string& name, int64_t want, const std::string& what) {
  if (s.length != want)
    range_error(name + ": length must be " + num(double(want)) + " (" + what + "), got " + num(double(s.length)));
}
void need_at_least(const Span& s, const std::string& name, int64_t want, const std::string& what) {
  if (s.length < want)
    range_error(name + ": length must be at least " + num(double(want)) + " (" + what + "), got " + num(double(s.length)));
}

// Reads an Int32Array into a private copy (so later writes to aliased memory cannot change validated values) and
// checks every value is in [lo, hi].
std::vector<int32_t> get_ints(napi_env env, napi_value value, const std::string& name, int64_t length, int64_t lo,
                              int64_t hi, const std::string& what) {
  Span s = get_typed(env, value, name, napi_int32_array, false);
  need_length(s, name, length, what);
  std::vector<int32_t> out(static_cast<size_t>(length));
  if (length > 0) std::memcpy(out.data(), s.data, sizeof(int32_t) * size_t(length));
  for (int64_t i = 0; i < length; i++) {
    if (out[i] < lo || out[i] > hi)
      range_error(name + "[" + num(double(i)) + "] = " + num(double(out[i])) + " is out of range [" + num(double(lo)) +
                  ", " + num(double(hi)) + "]");
  }
  return out;
}

// Arrays the call writes must not share memory with any other array of the call.
struct Region {
  std::string name;
  const Span* span;
  int64_t elementSize;
  bool written;
};
void check_overlaps(const std::vector<Region>& regions) {
  for (size_t i = 0; i < regions.size(); i++)
    for (size_t j = i + 1; j < regions.size(); j++) {
      const Region &a = regions[i], &b = regions[j];
      if (!a.span->present || !b.span->present || a.span->length == 0 || b.span->length == 0) continue;
      if (!a.written && !b.written) continue;
      auto a0 = reinterpret_cast<uintptr_t>(a.span->data), a1 = a0 + uintptr_t(a.span->length * a.elementSize);
      auto b0 = reinterpret_cast<uintptr_t>(b.span->data), b1 = b0 + uintptr_t(b.span->length * b.elementSize);
      if (a0 < b1 && b0 < a1)
        range_error((a.written ? a.name + ": shares memory with " + b.name : b.name + ": shares memory with " + a.name) +
                    " (arrays written by the call must not overlap other arguments)");
    }
}

constexpr int64_t kMaxBatch = int64_t(1) << 24;

Shape get_shape(napi_env env, napi_value value) {
  napi_valuetype t;
  check(env, napi_typeof(env, value, &t));
  if (t != napi_object || is_nullish(env, value)) type_error(std::string("shape: expected an object, got ") + type_name(env, value));
  auto field = [&](const char* key, int64_t lo, int64_t hi) {
    napi_value v;
    check(env, napi_get_named_property(env, value, key, &v));
    return get_int(env, v, std::string("shape.") + key, lo, hi);
  };
  Shape s;
  s.V = field("vocabSize", 1, int64_t(1) << 24);
  s.C = field("contextLength", 1, int64_t(1) << 16);
  s.L = field("layers", 1, 1024);
  s.d = field("dModel", 1, int64_t(1) << 16);
  s.nh = field("heads", 1, int64_t(1) << 16);
  s.r = field("mlpRatio", 1, 64);
  s.H = field("scalarHeads", 0, 1024);
  if (s.d % s.nh != 0)
    range_error("shape.heads: " + num(double(s.nh)) + " does not divide shape.dModel " + num(double(s.d)));
  (void)gh::parameter_count(s);  // throws SizeError when the shape is absurdly large
  return s;
}

void check_params_finite(const float* p, int64_t n) {
  int64_t bad = gh::first_non_finite(p, n);
  if (bad >= 0) range_error("params: non-finite value " + num(double(p[bad])) + " at index " + num(double(bad)));
}

// The optional bf16 weight pack (precision.h): a Uint16Array of 2·bf16PackWords(shape), 4-byte aligned, or null.
Span get_pack(napi_env env, napi_value value, const Shape& s) {
  Span p = get_typed(env, value, "bf16", napi_uint16_array, true);
  if (!p.present) return p;
  if (!gh::bf16_available())
    range_error(std::string("bf16: the bfloat16 kernels are not available here (") + gh::bf16_status() + "); pass null to compute in fp32");
  need_length(p, "bf16", 2 * gh::bf16_pack_words(s), "2·bf16PackWords(shape)");
  if (reinterpret_cast<uintptr_t>(p.data) % 4 != 0) range_error("bf16: must start at a multiple of 4 bytes in its ArrayBuffer");
  return p;
}
const uint32_t* pack_words(const Span& p) { return p.present ? static_cast<const uint32_t*>(p.data) : nullptr; }

// A batch's token arguments, copied and range-checked: ids [B·T] and targets [B·T] (or null) in the vocabulary,
// starts [B] in [0, T − 1].
struct TokenArgs {
  std::vector<int32_t> ids, starts, targets;
  bool hasTargets;
};
TokenArgs get_tokens(napi_env env, const Shape& s, napi_value ids, napi_value starts, napi_value targets, int64_t B,
                     int64_t T) {
  TokenArgs out;
  out.ids = get_ints(env, ids, "ids", B * T, 0, s.V - 1, "batch·time");
  out.starts = get_ints(env, starts, "starts", B, 0, T - 1, "batch");
  out.hasTargets = !is_nullish(env, targets);
  if (out.hasTargets) out.targets = get_ints(env, targets, "targets", B * T, 0, s.V - 1, "batch·time");
  return out;
}

napi_value make_number(napi_env env, double x) {
  napi_value out;
  check(env, napi_create_double(env, x, &out));
  return out;
}
napi_value undefined(napi_env env) {
  napi_value out;
  check(env, napi_get_undefined(env, &out));
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Functions.

#define GH_STR2(x) #x
#define GH_STR(x) GH_STR2(x)
#if defined(__clang__)
#define GH_COMPILER "clang " __clang_version__
#elif defined(__GNUC__)
#define GH_COMPILER "g++ " __VERSION__
#else
#define GH_COMPILER "unknown compiler"
#endif

napi_value Info(napi_env env, napi_callback_info) {
  return guard(env, [&] {
    napi_value out, isa, threads, compiler, bf16, bf16Status;
    check(env, napi_create_object(env, &out));
    check(env, napi_create_string_utf8(env, gh::sgemm_isa(), NAPI_AUTO_LENGTH, &isa));
    check(env, napi_create_int32(env, gh::threads(), &threads));
    check(env, napi_create_string_utf8(env, GH_COMPILER " -O3 -std=c++17 -fno-math-errno (kernels: per-ISA clones)",
                                       NAPI_AUTO_LENGTH, &compiler));
    check(env, napi_set_named_property(env, out, "isa", isa));
    check(env, napi_set_named_property(env, out, "threads", threads));
    check(env, napi_set_named_property(env, out, "compiler", compiler));
    check(env, napi_get_boolean(env, gh::bf16_available(), &bf16));
    check(env, napi_create_string_utf8(env, gh::bf16_status(), NAPI_AUTO_LENGTH, &bf16Status));
    check(env, napi_set_named_property(env, out, "bf16", bf16));
    check(env, napi_set_named_property(env, out, "bf16Status", bf16Status));
    return out;
  });
}

napi_value SetThreads(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 1);
    double x = get_number(env, a[0], "threads");
    if (std::isnan(x)) range_error("threads: must be a number, got NaN");
    int n = x < 1 ? 1 : x > 256 ? 256 : int(x);
    std::lock_guard<std::mutex> lock(g_compute);
    gh::set_threads(n);
    return undefined(env);
  });
}

napi_value ParameterCount(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 1);
    Shape s = get_shape(env, a[0]);
    return make_number(env, double(gh::parameter_count(s)));
  });
}

napi_value ActivationSize(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 4);
    Shape s = get_shape(env, a[0]);
    int64_t B = get_int(env, a[1], "batch", 1, kMaxBatch);
    int64_t T = get_int(env, a[2], "time", 1, s.C);
    bool train = get_bool(env, a[3], "train");
    return make_number(env, double(gh::activation_size(s, B, T, train)));
  });
}

napi_value CacheSize(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 2);
    Shape s = get_shape(env, a[0]);
    int64_t B = get_int(env, a[1], "batch", 1, kMaxBatch);
    return make_number(env, double(gh::cache_size(s, B)));
  });
}

// forward(shape, params, acts, ids, starts, batch, time, targets, logProbs, heads, headsAt, train, bf16?)
napi_value Forward(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 13);
    Shape s = get_shape(env, a[0]);
    const int64_t B = get_int(env, a[5], "batch", 1, kMaxBatch);
    const int64_t T = get_int(env, a[6], "time", 1, s.C);
    const int headsAt = int(get_int(env, a[10], "headsAt", 0, 1));
    const bool train = get_bool(env, a[11], "train");
    const int64_t N = B * T;
    const int64_t nParams = gh::parameter_count(s);
    const int64_t nActs = gh::activation_size(s, B, T, train);
    Span params = get_f32(env, a[1], "params");
    need_length(params, "params", nParams, "parameterCount(shape)");
    Span acts = get_f32(env, a[2], "acts");
    need_at_least(acts, "acts", nActs, train ? "activationSize(shape, batch, time, true)" : "activationSize(shape, batch, time, false)");
    const TokenArgs tokens = get_tokens(env, s, a[3], a[4], a[7], B, T);
    const std::vector<int32_t>& ids = tokens.ids;
    const std::vector<int32_t>& starts = tokens.starts;
    const std::vector<int32_t>& targets = tokens.targets;
    const bool hasTargets = tokens.hasTargets;
    Span logProbs = get_f32(env, a[8], "logProbs", true);
    if (hasTargets && !logProbs.present) type_error("logProbs: must be a Float32Array [batch·time] when targets are given");
    if (!hasTargets && logProbs.present) type_error("logProbs: must be null when targets is null");
    if (logProbs.present) need_length(logProbs, "logProbs", N, "batch·time");
    Span heads = get_f32(env, a[9], "heads", true);
    if (heads.present) need_length(heads, "heads", headsAt == 0 ? s.H * N : s.H * B, headsAt == 0 ? "scalarHeads·batch·time" : "scalarHeads·batch");
    Span pack = get_pack(env, a[12], s);
    check_overlaps({{"params", &params, 4, false}, {"acts", &acts, 4, true}, {"logProbs", &logProbs, 4, true}, {"heads", &heads, 4, true},
                    {"bf16", &pack, 2, false}});
    std::lock_guard<std::mutex> lock(g_compute);
    check_params_finite(static_cast<const float*>(params.data), nParams);
    gh::forward(s, static_cast<const float*>(params.data), static_cast<float*>(acts.data), ids.data(), starts.data(), B, T,
                hasTargets ? targets.data() : nullptr, static_cast<float*>(logProbs.data),
                heads.present ? static_cast<float*>(heads.data) : nullptr, headsAt, train, pack_words(pack));
    return undefined(env);
  });
}

// backward(shape, params, grads, acts, ids, starts, batch, time, targets, dLogProbs, dHeads, headsAt, bf16?)
napi_value Backward(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 13);
    Shape s = get_shape(env, a[0]);
    const int64_t B = get_int(env, a[6], "batch", 1, kMaxBatch);
    const int64_t T = get_int(env, a[7], "time", 1, s.C);
    const int headsAt = int(get_int(env, a[11], "headsAt", 0, 1));
    const int64_t N = B * T;
    const int64_t nParams = gh::parameter_count(s);
    Span params = get_f32(env, a[1], "params");
    need_length(params, "params", nParams, "parameterCount(shape)");
    Span grads = get_f32(env, a[2], "grads");
    need_length(grads, "grads", nParams, "parameterCount(shape)");
    Span acts = get_f32(env, a[3], "acts");
    need_at_least(acts, "acts", gh::activation_size(s, B, T, true), "activationSize(shape, batch, time, true)");
    const TokenArgs tokens = get_tokens(env, s, a[4], a[5], a[8], B, T);
    const std::vector<int32_t>& ids = tokens.ids;
    const std::vector<int32_t>& starts = tokens.starts;
    const std::vector<int32_t>& targets = tokens.targets;
    const bool hasTargets = tokens.hasTargets;
    Span dLogProbs = get_f32(env, a[9], "dLogProbs", true);
    if (dLogProbs.present && !hasTargets) type_error("dLogProbs: given without targets (pass the targets of the forward)");
    if (dLogProbs.present) need_length(dLogProbs, "dLogProbs", N, "batch·time");
    Span dHeads = get_f32(env, a[10], "dHeads", true);
    if (dHeads.present) need_length(dHeads, "dHeads", headsAt == 0 ? s.H * N : s.H * B, headsAt == 0 ? "scalarHeads·batch·time" : "scalarHeads·batch");
    Span pack = get_pack(env, a[12], s);
    check_overlaps({{"params", &params, 4, false}, {"grads", &grads, 4, true}, {"acts", &acts, 4, true},
                    {"dLogProbs", &dLogProbs, 4, false}, {"dHeads", &dHeads, 4, false}, {"bf16", &pack, 2, false}});
    std::lock_guard<std::mutex> lock(g_compute);
    check_params_finite(static_cast<const float*>(params.data), nParams);
    bool ok = gh::backward(s, static_cast<const float*>(params.data), static_cast<float*>(grads.data),
                           static_cast<float*>(acts.data), ids.data(), starts.data(), B, T,
                           hasTargets ? targets.data() : nullptr, static_cast<const float*>(dLogProbs.data),
                           dHeads.present ? static_cast<const float*>(dHeads.data) : nullptr, headsAt, pack_words(pack));
    if (!ok)
      range_error("acts: does not hold a train forward of this batch (call forward with train = true, the same batch and time, and targets when dLogProbs is given)");
    return undefined(env);
  });
}

// prefill(shape, params, cache, acts, ids, starts, batch, time, logits, bf16?)
napi_value Prefill(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 10);
    Shape s = get_shape(env, a[0]);
    const int64_t B = get_int(env, a[6], "batch", 1, kMaxBatch);
    const int64_t T = get_int(env, a[7], "time", 1, s.C);
    const int64_t nParams = gh::parameter_count(s);
    Span params = get_f32(env, a[1], "params");
    need_length(params, "params", nParams, "parameterCount(shape)");
    Span cache = get_f32(env, a[2], "cache");
    need_at_least(cache, "cache", gh::cache_size(s, B), "cacheSize(shape, batch)");
    Span acts = get_f32(env, a[3], "acts");
    need_at_least(acts, "acts", gh::activation_size(s, B, T, false), "activationSize(shape, batch, time, false)");
    std::vector<int32_t> ids = get_ints(env, a[4], "ids", B * T, 0, s.V - 1, "batch·time");
    std::vector<int32_t> starts = get_ints(env, a[5], "starts", B, 0, T - 1, "batch");
    Span logits = get_f32(env, a[8], "logits");
    need_length(logits, "logits", B * s.V, "batch·vocabSize");
    Span pack = get_pack(env, a[9], s);
    check_overlaps({{"params", &params, 4, false}, {"cache", &cache, 4, true}, {"acts", &acts, 4, true}, {"logits", &logits, 4, true},
                    {"bf16", &pack, 2, false}});
    std::lock_guard<std::mutex> lock(g_compute);
    check_params_finite(static_cast<const float*>(params.data), nParams);
    gh::prefill(s, static_cast<const float*>(params.data), static_cast<float*>(cache.data), static_cast<float*>(acts.data),
                ids.data(), starts.data(), B, T, static_cast<float*>(logits.data), pack_words(pack));
    return undefined(env);
  });
}

// decode(shape, params, cache, acts, tokens, starts, batch, length, logits, bf16?)
napi_value Decode(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 10);
    Shape s = get_shape(env, a[0]);
    const int64_t B = get_int(env, a[6], "batch", 1, kMaxBatch);
    if (s.C < 2) range_error("length: the context length " + num(double(s.C)) + " leaves no room to decode");
    const int64_t length = get_int(env, a[7], "length", 1, s.C - 1);
    const int64_t nParams = gh::parameter_count(s);
    Span params = get_f32(env, a[1], "params");
    need_length(params, "params", nParams, "parameterCount(shape)");
    Span cache = get_f32(env, a[2], "cache");
    need_at_least(cache, "cache", gh::cache_size(s, B), "cacheSize(shape, batch)");
    Span acts = get_f32(env, a[3], "acts");
    need_at_least(acts, "acts", gh::activation_size(s, B, 1, false), "activationSize(shape, batch, 1, false)");
    std::vector<int32_t> tokens = get_ints(env, a[4], "tokens", B, 0, s.V - 1, "batch");
    std::vector<int32_t> starts = get_ints(env, a[5], "starts", B, 0, length - 1, "batch; each start ≤ length − 1");
    Span logits = get_f32(env, a[8], "logits");
    need_length(logits, "logits", B * s.V, "batch·vocabSize");
    Span pack = get_pack(env, a[9], s);
    check_overlaps({{"params", &params, 4, false}, {"cache", &cache, 4, true}, {"acts", &acts, 4, true}, {"logits", &logits, 4, true},
                    {"bf16", &pack, 2, false}});
    std::lock_guard<std::mutex> lock(g_compute);
    gh::decode(s, static_cast<const float*>(params.data), static_cast<float*>(cache.data), static_cast<float*>(acts.data),
               tokens.data(), starts.data(), B, length, static_cast<float*>(logits.data), pack_words(pack));
    return undefined(env);
  });
}

// scoreResponses(shape, params, acts, prompt, responses, lengths, batch, width, heads, bf16?)
napi_value ScoreResponses(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 10);
    Shape s = get_shape(env, a[0]);
    const int64_t B = get_int(env, a[6], "batch", 1, kMaxBatch);
    const int64_t R = get_int(env, a[7], "width", 1, s.C);
    const int64_t nParams = gh::parameter_count(s);
    Span params = get_f32(env, a[1], "params");
    need_length(params, "params", nParams, "parameterCount(shape)");
    Span acts = get_f32(env, a[2], "acts");
    need_at_least(acts, "acts", gh::activation_size(s, B, R, false), "activationSize(shape, batch, width, false)");
    Span promptSpan = get_typed(env, a[3], "prompt", napi_int32_array, false);
    const int64_t P = promptSpan.length;
    if (P < 1 || P + R > s.C)
      range_error("prompt: length must be in [1, contextLength − width] = [1, " + num(double(s.C - R)) + "], got " + num(double(P)));
    std::vector<int32_t> prompt = get_ints(env, a[3], "prompt", P, 0, s.V - 1, "prompt tokens");
    std::vector<int32_t> responses = get_ints(env, a[4], "responses", B * R, 0, s.V - 1, "batch·width");
    std::vector<int32_t> lengths = get_ints(env, a[5], "lengths", B, 1, R, "batch; each length in [1, width]");
    Span heads = get_f32(env, a[8], "heads");
    need_length(heads, "heads", s.H * B, "scalarHeads·batch");
    Span pack = get_pack(env, a[9], s);
    check_overlaps({{"params", &params, 4, false}, {"acts", &acts, 4, true}, {"heads", &heads, 4, true}, {"bf16", &pack, 2, false}});
    std::lock_guard<std::mutex> lock(g_compute);
    check_params_finite(static_cast<const float*>(params.data), nParams);
    gh::score_responses(s, static_cast<const float*>(params.data), static_cast<float*>(acts.data), prompt.data(), P,
                        responses.data(), lengths.data(), B, R, static_cast<float*>(heads.data), pack_words(pack));
    return undefined(env);
  });
}

napi_value GradNorm(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 1);
    Span g = get_f32(env, a[0], "grads");
    std::lock_guard<std::mutex> lock(g_compute);
    return make_number(env, gh::grad_norm(static_cast<const float*>(g.data), g.length));
  });
}

napi_value FirstNonFinite(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 1);
    Span x = get_f32(env, a[0], "values");
    std::lock_guard<std::mutex> lock(g_compute);
    return make_number(env, double(gh::first_non_finite(static_cast<const float*>(x.data), x.length)));
  });
}

// adamw(params, grads, m, v, decayRanges, step, learningRate, beta1, beta2, epsilon, weightDecay, gradScale)
napi_value AdamW(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 12);
    Span p = get_f32(env, a[0], "params");
    const int64_t n = p.length;
    Span g = get_f32(env, a[1], "grads");
    need_length(g, "grads", n, "params.length");
    Span m = get_f32(env, a[2], "m");
    need_length(m, "m", n, "params.length");
    Span v = get_f32(env, a[3], "v");
    need_length(v, "v", n, "params.length");
    Span r = get_typed(env, a[4], "decayRanges", napi_int32_array, false);
    if (r.length % 2 != 0) range_error("decayRanges: length must be even ([start, end) pairs), got " + num(double(r.length)));
    std::vector<int32_t> ranges(size_t(r.length));
    if (r.length > 0) std::memcpy(ranges.data(), r.data, sizeof(int32_t) * size_t(r.length));
    int64_t prevEnd = 0;
    for (int64_t k = 0; k < r.length / 2; k++) {
      const int64_t lo = ranges[2 * k], hi = ranges[2 * k + 1];
      if (lo < prevEnd || lo > hi || hi > n)
        range_error("decayRanges: pair " + num(double(k)) + " [" + num(double(lo)) + ", " + num(double(hi)) +
                    ") must satisfy " + num(double(prevEnd)) + " ≤ start ≤ end ≤ " + num(double(n)) +
                    " (pairs sorted, disjoint, inside params)");
      prevEnd = hi;
    }
    gh::AdamWArgs args{};
    args.step = get_int(env, a[5], "step", 1, int64_t(1) << 53);
    args.lr = get_finite(env, a[6], "learningRate");
    if (args.lr < 0) range_error("learningRate: must be ≥ 0, got " + num(args.lr));
    args.beta1 = get_finite(env, a[7], "beta1");
    if (!(args.beta1 >= 0 && args.beta1 < 1)) range_error("beta1: must be in [0, 1), got " + num(args.beta1));
    args.beta2 = get_finite(env, a[8], "beta2");
    if (!(args.beta2 >= 0 && args.beta2 < 1)) range_error("beta2: must be in [0, 1), got " + num(args.beta2));
    args.eps = get_finite(env, a[9], "epsilon");
    if (!(args.eps > 0)) range_error("epsilon: must be > 0, got " + num(args.eps));
    args.weightDecay = get_finite(env, a[10], "weightDecay");
    if (args.weightDecay < 0) range_error("weightDecay: must be ≥ 0, got " + num(args.weightDecay));
    args.gradScale = get_finite(env, a[11], "gradScale");
    check_overlaps({{"params", &p, 4, true}, {"grads", &g, 4, false}, {"m", &m, 4, true}, {"v", &v, 4, true}});
    std::lock_guard<std::mutex> lock(g_compute);
    gh::adamw(static_cast<float*>(p.data), static_cast<const float*>(g.data), static_cast<float*>(m.data),
              static_cast<float*>(v.data), n, ranges.data(), r.length / 2, args);
    return undefined(env);
  });
}

// sgemm(m, n, k, a, transA, b, transB, c, accumulate)
napi_value Sgemm(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 9);
    const int64_t lim = int64_t(1) << 31;
    const int64_t M = get_int(env, a[0], "m", 1, lim), Nn = get_int(env, a[1], "n", 1, lim), K = get_int(env, a[2], "k", 1, lim);
    Span A = get_f32(env, a[3], "a");
    const bool transA = get_bool(env, a[4], "transA");
    Span Bm = get_f32(env, a[5], "b");
    const bool transB = get_bool(env, a[6], "transB");
    Span C = get_f32(env, a[7], "c");
    const bool accumulate = get_bool(env, a[8], "accumulate");
    auto prod = [](int64_t x, int64_t y) {
      int64_t r;
      if (__builtin_mul_overflow(x, y, &r) || r > (int64_t(1) << 52)) range_error("m, n, k: sizes too large");
      return r;
    };
    need_length(A, "a", prod(M, K), "m·k");
    need_length(Bm, "b", prod(K, Nn), "k·n");
    need_length(C, "c", prod(M, Nn), "m·n");
    check_overlaps({{"a", &A, 4, false}, {"b", &Bm, 4, false}, {"c", &C, 4, true}});
    std::lock_guard<std::mutex> lock(g_compute);
    gh::sgemm(M, Nn, K, static_cast<const float*>(A.data), transA ? M : K, transA, static_cast<const float*>(Bm.data),
              transB ? K : Nn, transB, static_cast<float*>(C.data), Nn, accumulate);
    return undefined(env);
  });
}

// bf16PackWords(shape): 32-bit words of the bf16 weight pack (its Uint16Array has twice as many elements).
napi_value Bf16PackWords(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 1);
    Shape s = get_shape(env, a[0]);
    return make_number(env, double(gh::bf16_pack_words(s)));
  });
}

// bf16Pack(shape, params, pack): writes the bf16 copies of params' weight matrices into pack.
napi_value Bf16Pack(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 3);
    Shape s = get_shape(env, a[0]);
    Span params = get_f32(env, a[1], "params");
    need_length(params, "params", gh::parameter_count(s), "parameterCount(shape)");
    if (is_nullish(env, a[2])) type_error("pack: expected a Uint16Array, got " + std::string(type_name(env, a[2])));
    Span pack = get_pack(env, a[2], s);
    check_overlaps({{"params", &params, 4, false}, {"pack", &pack, 2, true}});
    std::lock_guard<std::mutex> lock(g_compute);
    gh::bf16_pack(s, static_cast<const float*>(params.data), static_cast<uint32_t*>(pack.data));
    return undefined(env);
  });
}

int64_t checked_prod(int64_t x, int64_t y) {
  int64_t r;
  if (__builtin_mul_overflow(x, y, &r) || r > (int64_t(1) << 52)) range_error("m, n, k: sizes too large");
  return r;
}

// bf16Pairs(src, rows, cols, kAlongRows, dst): src [rows, cols] fp32 to a pair matrix (gemm.h) in dst: k along
// each row (dst [rows, ⌈cols/2⌉]) or down the rows (dst [⌈rows/2⌉, cols]).
napi_value Bf16Pairs(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 5);
    const int64_t lim = int64_t(1) << 31;
    Span src = get_f32(env, a[0], "src");
    const int64_t rows = get_int(env, a[1], "rows", 1, lim), cols = get_int(env, a[2], "cols", 1, lim);
    const bool kAlongRows = get_bool(env, a[3], "kAlongRows");
    Span dst = get_typed(env, a[4], "dst", napi_uint16_array, false);
    need_length(src, "src", checked_prod(rows, cols), "rows·cols");
    const int64_t words = kAlongRows ? checked_prod(rows, (cols + 1) / 2) : checked_prod((rows + 1) / 2, cols);
    need_length(dst, "dst", 2 * words, kAlongRows ? "2·rows·⌈cols/2⌉" : "2·⌈rows/2⌉·cols");
    if (reinterpret_cast<uintptr_t>(dst.data) % 4 != 0) range_error("dst: must start at a multiple of 4 bytes in its ArrayBuffer");
    check_overlaps({{"src", &src, 4, false}, {"dst", &dst, 2, true}});
    std::lock_guard<std::mutex> lock(g_compute);
    const float* x = static_cast<const float*>(src.data);
    uint32_t* out = static_cast<uint32_t*>(dst.data);
    if (kAlongRows) gh::bf16_pairs_k_contig(x, cols, rows, cols, out);
    else gh::bf16_pairs_k_strided(x, cols, rows, cols, out);
    return undefined(env);
  });
}

// bgemm(m, n, k, a, transA, b, transB, c, accumulate): the bf16 product of gemm.h on pair matrices (Uint16Array,
// as written by bf16Pairs) into c [m, n] (fp32).
napi_value Bgemm(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 9);
    const int64_t lim = int64_t(1) << 31;
    const int64_t M = get_int(env, a[0], "m", 1, lim), Nn = get_int(env, a[1], "n", 1, lim), K = get_int(env, a[2], "k", 1, lim);
    Span A = get_typed(env, a[3], "a", napi_uint16_array, false);
    const bool transA = get_bool(env, a[4], "transA");
    Span Bm = get_typed(env, a[5], "b", napi_uint16_array, false);
    const bool transB = get_bool(env, a[6], "transB");
    Span C = get_f32(env, a[7], "c");
    const bool accumulate = get_bool(env, a[8], "accumulate");
    if (!gh::bf16_available()) range_error(std::string("bgemm: the bfloat16 kernels are not available here (") + gh::bf16_status() + ")");
    const int64_t kp = (K + 1) / 2;
    need_length(A, "a", 2 * checked_prod(M, kp), "2·m·⌈k/2⌉");
    need_length(Bm, "b", 2 * checked_prod(kp, Nn), "2·⌈k/2⌉·n");
    need_length(C, "c", checked_prod(M, Nn), "m·n");
    if (reinterpret_cast<uintptr_t>(A.data) % 4 != 0) range_error("a: must start at a multiple of 4 bytes in its ArrayBuffer");
    if (reinterpret_cast<uintptr_t>(Bm.data) % 4 != 0) range_error("b: must start at a multiple of 4 bytes in its ArrayBuffer");
    check_overlaps({{"a", &A, 2, false}, {"b", &Bm, 2, false}, {"c", &C, 4, true}});
    std::lock_guard<std::mutex> lock(g_compute);
    gh::bgemm(M, Nn, K, static_cast<const uint32_t*>(A.data), transA ? M : kp, transA, static_cast<const uint32_t*>(Bm.data),
              transB ? kp : Nn, transB, static_cast<float*>(C.data), Nn, accumulate);
    return undefined(env);
  });
}

// draw(logits, rows, vocab, temperature, uniforms, tokens, logProbs)
napi_value Draw(napi_env env, napi_callback_info info) {
  return guard(env, [&] {
    Args a(env, info, 7);
    Span logits = get_f32(env, a[0], "logits");
    const int64_t B = get_int(env, a[1], "rows", 1, kMaxBatch);
    const int64_t V = get_int(env, a[2], "vocab", 1, int64_t(1) << 24);
    const double temperature = get_finite(env, a[3], "temperature");
    if (!(temperature > 0)) range_error("temperature: must be > 0, got " + num(temperature));
    Span uniforms = get_typed(env, a[4], "uniforms", napi_float64_array, false);
    Span tokens = get_typed(env, a[5], "tokens", napi_int32_array, false);
    Span logProbs = get_f32(env, a[6], "logProbs");
    need_length(logits, "logits", B * V, "rows·vocab");
    need_length(uniforms, "uniforms", B, "one per row");
    need_length(tokens, "tokens", B, "one per row");
    need_length(logProbs, "logProbs", B, "one per row");
    const double* u = static_cast<const double*>(uniforms.data);
    for (int64_t b = 0; b < B; b++)
      if (!(u[b] >= 0 && u[b] < 1)) range_error("uniforms[" + num(double(b)) + "] = " + num(u[b]) + " is outside [0, 1)");
    check_overlaps({{"logits", &logits, 4, false}, {"uniforms", &uniforms, 8, false}, {"tokens", &tokens, 4, true},
                    {"logProbs", &logProbs, 4, true}});
    std::lock_guard<std::mutex> lock(g_compute);
    int64_t badRow = -1;
    if (!gh::draw_tokens(static_cast<const float*>(logits.data), B, V, temperature, u, static_cast<int32_t*>(tokens.data),
                         static_cast<float*>(logProbs.data), &badRow))
      range_error("logits: row " + num(double(badRow)) + " is not finite (NaN or infinite logits: a diverged model?)");
    return undefined(env);
  });
}

}  // namespace

NAPI_MODULE_INIT() {
  static std::once_flag threadsOnce;
  std::call_once(threadsOnce, [] { gh::set_threads(1); });
  struct Fn {
    const char* name;
    napi_callback cb;
  };
  const Fn fns[] = {{"info", Info},
                    {"setThreads", SetThreads},
                    {"parameterCount", ParameterCount},
                    {"activationSize", ActivationSize},
                    {"cacheSize", CacheSize},
                    {"forward", Forward},
                    {"backward", Backward},
                    {"prefill", Prefill},
                    {"decode", Decode},
                    {"scoreResponses", ScoreResponses},
                    {"gradNorm", GradNorm},
                    {"firstNonFinite", FirstNonFinite},
                    {"adamw", AdamW},
                    {"sgemm", Sgemm},
                    {"bf16PackWords", Bf16PackWords},
                    {"bf16Pack", Bf16Pack},
                    {"bf16Pairs", Bf16Pairs},
                    {"bgemm", Bgemm},
                    {"draw", Draw}};
  for (const Fn& f : fns) {
    napi_value fn;
    if (napi_create_function(env, f.name, NAPI_AUTO_LENGTH, f.cb, nullptr, &fn) != napi_ok) return nullptr;
    if (napi_set_named_property(env, exports, f.name, fn) != napi_ok) return nullptr;
  }
  return exports;
}
