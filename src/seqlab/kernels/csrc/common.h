// Fused CPU recurrences with explicit backpropagation through time: what every cell shares.
//
// Every function here runs one layer and one direction over a whole sequence. The input
// projection gx = W_ih x_t + b for all steps is computed by the caller with one GEMM
// (and, for layer norm, normalised there); each step here is one GEMM with W_hh plus one
// pass of fused elementwise work per batch row. The backward pass walks the steps in reverse,
// writing the gradient of every gate pre-activation into one (T, B, G*H) buffer, and computes
// dW_hh with a single GEMM over all steps at the end.
//
// Layout: time-major and contiguous, x (T, B, .), states (B, H), gate rows as torch.nn's
// (LSTM i, f, g, o; GRU r, z, n). A mask (T, B) of bools marks real steps: a masked step
// keeps the state and its gradient passes straight through. The output sequence returned is
// the state sequence; zeroing the outputs of masked steps is left to the caller.
//
// Names follow the equations in seqlab/layers/cells.py (i, f, g, o, c, h; r, z, n).

#pragma once

// ATen only: the kernels compile without the Python headers (module.cpp has those)
#include <ATen/ATen.h>
#include <ATen/Dispatch.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <cstdint>
#include <optional>
#include <vector>

using at::Tensor;
using OptTensor = std::optional<Tensor>;

namespace seqlab {


// exp, sigmoid and tanh written so that the compiler can vectorise the loops that call them.
// float: Cephes' expf polynomial (max relative error about 2 ulp) with the exponent set by bit
// arithmetic; double (used to check gradients) keeps libm's exp and tanh. The build uses
// -ffast-math, under which x != x is folded to false: NaN is tested on the bits instead.
inline bool is_nan(float x) { return (__builtin_bit_cast(uint32_t, x) & 0x7fffffffu) > 0x7f800000u; }
inline bool is_nan(double x) {
  return (__builtin_bit_cast(uint64_t, x) & 0x7fffffffffffffffull) > 0x7ff0000000000000ull;
}

template <typename T>
inline T relu_(T x) { return is_nan(x) ? x : (x > T(0) ? x : T(0)); }

inline float fast_exp(float x) {
  const float x0 = x;
  x = std::min(std::max(x, -87.0f), 88.0f);
  float n = std::floor(x * 1.44269504088896341f + 0.5f);  // round(x / ln 2)
  float r = x - n * 0.693359375f + n * 2.12194440e-4f;    // x - n ln 2, in two parts
  float y = 1.9875691500e-4f;
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * r * r + r + 1.0f;
  y *= __builtin_bit_cast(float, (static_cast<int32_t>(n) + 127) << 23);  // * 2^n
  return is_nan(x0) ? x0 : y;
}
inline double fast_exp(double x) { return std::exp(x); }

template <typename T>
inline T sigmoid(T x) { return T(1) / (T(1) + fast_exp(-x)); }

inline float tanh_(float x) { return 1.0f - 2.0f / (fast_exp(2.0f * x) + 1.0f); }
inline double tanh_(double x) { return std::tanh(x); }

// Rows per parallel task, from the work per row (values touched): a thread hand-off costs about
// as much as 64K of them, so a step of the plain cells at B=64, H=128 stays on one thread and
// the layer-norm ones (about four times the work) use two.
inline int64_t grain(int64_t work_per_row) {
  return std::max<int64_t>(1, 65536 / std::max<int64_t>(1, work_per_row));
}

inline bool has(const OptTensor& t) { return t.has_value() && t->defined(); }

template <typename T>
inline const T* ptr_or_null(const OptTensor& t) { return has(t) ? t->data_ptr<T>() : nullptr; }

// Normalise one row: out = (raw - mean) * rstd; returns rstd. Two passes (mean, then the mean
// square deviation), summed in double: the backward pass subtracts nearly equal means, and
// float sums cost it a decimal digit against the reference.
template <typename T>
inline T layer_norm_row(const T* __restrict raw, T* __restrict out, int64_t n, T eps) {
  double sum = 0;
  for (int64_t j = 0; j < n; ++j) sum += raw[j];
  const T mean = T(sum / double(n));
  double sq = 0;
  for (int64_t j = 0; j < n; ++j) sq += double(raw[j] - mean) * double(raw[j] - mean);
  const T rstd = T(1.0 / std::sqrt(sq / double(n) + double(eps)));
  for (int64_t j = 0; j < n; ++j) out[j] = (raw[j] - mean) * rstd;
  return rstd;
}

// Gradient of a layer norm's input from the gradient of its normalised output (d_norm) and
// the normalised values (norm): rstd * (d - mean(d) - norm * mean(d * norm)). Writes dx.
template <typename T>
inline void layer_norm_row_backward(const T* __restrict d_norm, const T* __restrict norm, T rstd,
                                    T* __restrict dx, int64_t n) {
  double s1 = 0, s2 = 0;
  for (int64_t j = 0; j < n; ++j) { s1 += d_norm[j]; s2 += double(d_norm[j]) * double(norm[j]); }
  const T m1 = T(s1 / double(n)), m2 = T(s2 / double(n));
  for (int64_t j = 0; j < n; ++j) dx[j] = rstd * (d_norm[j] - m1 - norm[j] * m2);
}

// Backward through y = γ ⊙ norm + β: adds dy ⊙ norm to acc_gamma and dy to acc_beta, and
// writes the gradient of the normalised input to dx (tmp: n scratch values).
template <typename T>
inline void layer_norm_affine_backward(const T* __restrict dy, const T* __restrict norm,
                                       const T* __restrict gamma, T rstd, T* __restrict acc_gamma,
                                       T* __restrict acc_beta, T* __restrict tmp, T* __restrict dx,
                                       int64_t n) {
  for (int64_t j = 0; j < n; ++j) {
    acc_gamma[j] += dy[j] * norm[j];
    acc_beta[j] += dy[j];
    tmp[j] = dy[j] * gamma[j];
  }
  layer_norm_row_backward(tmp, norm, rstd, dx, n);
}

// pre = h @ W_hh^T (B, G*H), then for layer norm: ghn = norm(pre), pre = gamma * ghn + beta.
template <typename T>
void recurrent_projection(const Tensor& h, const Tensor& w_hh, Tensor& pre, const OptTensor& ln_w,
                          const OptTensor& ln_b, Tensor* ghn_t, Tensor* rstd_t, double eps) {
  at::mm_out(pre, h, w_hh.t());
  if (!has(ln_w)) return;
  const int64_t B = pre.size(0), n = pre.size(1);
  T* p = pre.data_ptr<T>();
  T* norm = ghn_t->data_ptr<T>();
  T* rstd = rstd_t->data_ptr<T>();
  const T* gamma = ln_w->data_ptr<T>();
  const T* beta = ptr_or_null<T>(ln_b);
  at::parallel_for(0, B, grain(n), [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      T* row = p + b * n;
      T* nrow = norm + b * n;
      rstd[b] = layer_norm_row(row, nrow, n, T(eps));
      if (beta) {
        for (int64_t j = 0; j < n; ++j) row[j] = gamma[j] * nrow[j] + beta[j];
      } else {
        for (int64_t j = 0; j < n; ++j) row[j] = gamma[j] * nrow[j];
      }
    }
  });
}

// Shapes, layouts and dtypes, so that no loop below reads past a buffer. vectors: optional
// parameters with the number of H-sized blocks each must hold (peepholes 3, LSTM norms 4 or 1).
inline void check_inputs(const Tensor& gx, const Tensor& w_hh, int64_t gates, std::initializer_list<Tensor> states,
                  const OptTensor& mask, std::initializer_list<std::pair<const OptTensor*, int64_t>> vectors) {
  TORCH_CHECK(gx.device().is_cpu(), "seqlab kernels run on the CPU");
  TORCH_CHECK(gx.dim() == 3 && gx.is_contiguous(), "gx must be a contiguous (T, B, G*H) tensor");
  TORCH_CHECK(gx.size(0) >= 1, "a sequence needs at least one step");
  TORCH_CHECK(w_hh.dim() == 2 && w_hh.size(0) == gates * w_hh.size(1), "weight_hh must be (G*H, H)");
  TORCH_CHECK(gx.size(2) == w_hh.size(0), "gx and weight_hh disagree on G*H");
  TORCH_CHECK(w_hh.scalar_type() == gx.scalar_type(), "weight_hh and gx differ in dtype");
  const int64_t T = gx.size(0), B = gx.size(1), H = w_hh.size(1);
  for (const Tensor& s : states) {
    TORCH_CHECK(s.dim() == 2 && s.size(0) == B && s.size(1) == H && s.is_contiguous() &&
                    s.scalar_type() == gx.scalar_type(),
                "initial states must be contiguous (B, H) tensors of gx's dtype");
  }
  if (has(mask)) {
    TORCH_CHECK(mask->scalar_type() == at::kBool && mask->dim() == 2 && mask->size(0) == T &&
                    mask->size(1) == B && mask->is_contiguous(),
                "mask must be a contiguous (T, B) bool tensor");
  }
  for (const auto& [t, blocks] : vectors) {
    if (!has(*t)) continue;
    TORCH_CHECK((*t)->numel() == blocks * H && (*t)->is_contiguous() &&
                    (*t)->scalar_type() == gx.scalar_type(),
                "a peephole, bias or layer-norm parameter has the wrong size or dtype");
  }
}


// One LSTM row, forward: i, f, g and c_t. p holds the peepholes (3H: i, f, o), zeros if none.

}  // namespace seqlab

// The entry points, one per cell and direction of the pass (lstm.cpp, gru.cpp, rnn.cpp).
std::vector<Tensor> lstm_forward(const Tensor& gx, const Tensor& w_hh, const OptTensor& peep,
                                 const OptTensor& ln_hh_w, const OptTensor& ln_hh_b,
                                 const OptTensor& ln_c_w, const OptTensor& ln_c_b,
                                 const Tensor& h0, const Tensor& c0, const OptTensor& mask,
                                 double eps);
std::vector<Tensor> lstm_backward(const Tensor& dhs, const Tensor& dcT, const Tensor& hs,
                                  const Tensor& cs, const Tensor& gates, const Tensor& ghn,
                                  const Tensor& rstd_h, const Tensor& cn, const Tensor& rstd_c,
                                  const Tensor& w_hh, const OptTensor& peep,
                                  const OptTensor& ln_hh_w, const OptTensor& ln_hh_b,
                                  const OptTensor& ln_c_w, const OptTensor& ln_c_b,
                                  const Tensor& h0, const Tensor& c0, const OptTensor& mask);
std::vector<Tensor> gru_forward(const Tensor& gx, const Tensor& w_hh, const OptTensor& b_hh,
                                const OptTensor& ln_hh_w, const Tensor& h0,
                                const OptTensor& mask, double eps);
std::vector<Tensor> gru_backward(const Tensor& dhs, const Tensor& hs, const Tensor& gates,
                                 const Tensor& ghn, const Tensor& rstd_h, const Tensor& w_hh,
                                 const OptTensor& b_hh, const OptTensor& ln_hh_w,
                                 const Tensor& h0, const OptTensor& mask);
Tensor rnn_forward(const Tensor& gx, const Tensor& w_hh, const Tensor& h0, const OptTensor& mask,
                   bool relu);
std::vector<Tensor> rnn_backward(const Tensor& dhs, const Tensor& hs, const Tensor& w_hh,
                                 const Tensor& h0, const OptTensor& mask, bool relu);
