// Fused CPU recurrences with explicit backpropagation through time.
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

#include <torch/extension.h>

#include <ATen/Parallel.h>

#include <cmath>
#include <optional>
#include <vector>

using at::Tensor;
using OptTensor = std::optional<Tensor>;

namespace {

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
void check_inputs(const Tensor& gx, const Tensor& w_hh, int64_t gates, std::initializer_list<Tensor> states,
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
template <typename T>
void lstm_row_ifgc(const T* __restrict a, const T* __restrict r, const T* __restrict p,
                   const T* __restrict c_prev, T* __restrict c, T* __restrict gate, int64_t H) {
  for (int64_t j = 0; j < H; ++j) {
    T i = sigmoid(a[j] + r[j] + p[j] * c_prev[j]);              // i_t = σ(.. + p_i ⊙ c_{t-1})
    T f = sigmoid(a[H + j] + r[H + j] + p[H + j] * c_prev[j]);  // f_t = σ(.. + p_f ⊙ c_{t-1})
    T g = tanh_(a[2 * H + j] + r[2 * H + j]);                   // g_t = tanh(..)
    c[j] = f * c_prev[j] + i * g;                               // c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
    gate[j] = i;
    gate[H + j] = f;
    gate[2 * H + j] = g;
  }
}

// One LSTM row, forward: o and h_t = o ⊙ tanh(ĉ), ĉ = c_t or LN(c_t).
template <typename T>
void lstm_row_oh(const T* __restrict a, const T* __restrict r, const T* __restrict p_o,
                 const T* __restrict c, const T* __restrict c_hat, T* __restrict o_out,
                 T* __restrict h, int64_t H) {
  for (int64_t j = 0; j < H; ++j) {
    T o = sigmoid(a[j] + r[j] + p_o[j] * c[j]);  // o_t = σ(.. + p_o ⊙ c_t)
    o_out[j] = o;
    h[j] = o * tanh_(c_hat[j]);                  // h_t = o_t ⊙ tanh(c_t)
  }
}

// One LSTM row with a normalised cell state, backward through h = o ⊙ tanh(ĉ), ĉ = γ_c ⊙ n + β_c:
// th = tanh(ĉ), dchat = dL/dĉ.
template <typename T>
void lstm_row_tanh_grad(const T* __restrict dh, const T* __restrict o, const T* __restrict norm,
                        const T* __restrict gamma, const T* __restrict beta, T* __restrict th,
                        T* __restrict dchat, int64_t H) {
  for (int64_t j = 0; j < H; ++j) {
    th[j] = tanh_(gamma[j] * norm[j] + beta[j]);
    dchat[j] = dh[j] * o[j] * (T(1) - th[j] * th[j]);
  }
}

// One LSTM row, backward through the gates. dc: in dL/dc_t from step t+1, out dL/dc_{t-1};
// dc_h: dL/dc_t through h_t; th: tanh(ĉ_t). Writes the pre-activation gradients dg (4H) and
// adds the peephole gradients to acc_p (3H).
template <typename T>
void lstm_row_backward(const T* __restrict dh, const T* __restrict gate, const T* __restrict c,
                       const T* __restrict c_prev, const T* __restrict th,
                       const T* __restrict dc_h, const T* __restrict p, T* __restrict dc,
                       T* __restrict dg, T* __restrict acc_p, int64_t H) {
  for (int64_t j = 0; j < H; ++j) {
    T i = gate[j], f = gate[H + j], g = gate[2 * H + j], o = gate[3 * H + j];
    T d_o = dh[j] * th[j] * o * (T(1) - o);
    T dct = dc[j] + dc_h[j] + d_o * p[2 * H + j];
    T d_i = dct * g * i * (T(1) - i);
    T d_f = dct * c_prev[j] * f * (T(1) - f);
    T d_g = dct * i * (T(1) - g * g);
    dc[j] = dct * f + d_i * p[j] + d_f * p[H + j];
    acc_p[j] += d_i * c_prev[j];
    acc_p[H + j] += d_f * c_prev[j];
    acc_p[2 * H + j] += d_o * c[j];
    dg[j] = d_i;
    dg[H + j] = d_f;
    dg[2 * H + j] = d_g;
    dg[3 * H + j] = d_o;
  }
}

// One GRU row, forward. bh: b_hh (zeros when absent or inside a layer norm). Keeps r, z, n
// and the recurrent n term (W_hn h_{t-1} + b_hn) for the backward pass.
template <typename T>
void gru_row_forward(const T* __restrict a, const T* __restrict gh, const T* __restrict bh,
                     const T* __restrict h_prev, T* __restrict h, T* __restrict gate, int64_t H) {
  for (int64_t j = 0; j < H; ++j) {
    T hn = gh[2 * H + j] + bh[2 * H + j];
    T r = sigmoid(a[j] + gh[j] + bh[j]);               // r_t = σ(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    T z = sigmoid(a[H + j] + gh[H + j] + bh[H + j]);   // z_t = σ(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    T n = tanh_(a[2 * H + j] + r * hn);                // n_t = tanh(W_in x_t + b_in + r_t ⊙ (W_hn h_{t-1} + b_hn))
    h[j] = (T(1) - z) * n + z * h_prev[j];             // h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}
    gate[j] = r;
    gate[H + j] = z;
    gate[2 * H + j] = n;
    gate[3 * H + j] = hn;
  }
}

}  // namespace

// ---------------------------------------------------------------------------------------
// LSTM, optionally with peepholes (p: (3, H), rows i, f, o) and layer norm (Ba et al. 2016):
// the recurrent projection is LN(W_hh h; ln_hh_w, ln_hh_b) and h_t = o ⊙ tanh(LN(c_t)).
// Returns hs, cs (T, B, H), gates (T, B, 4H: i, f, g, o after activation), and for layer norm
// ghn (T, B, 4H), rstd_h (T, B), cn (T, B, H), rstd_c (T, B); empty tensors otherwise.
std::vector<Tensor> lstm_forward(const Tensor& gx, const Tensor& w_hh, const OptTensor& peep,
                                 const OptTensor& ln_hh_w, const OptTensor& ln_hh_b,
                                 const OptTensor& ln_c_w, const OptTensor& ln_c_b,
                                 const Tensor& h0, const Tensor& c0, const OptTensor& mask,
                                 double eps) {
  check_inputs(gx, w_hh, 4, {h0, c0}, mask,
               {{&peep, 3}, {&ln_hh_w, 4}, {&ln_hh_b, 4}, {&ln_c_w, 1}, {&ln_c_b, 1}});
  const int64_t T = gx.size(0), B = gx.size(1), H = w_hh.size(1), G = 4 * H;
  auto hs = at::empty({T, B, H}, gx.options());
  auto cs = at::empty({T, B, H}, gx.options());
  auto gates = at::empty({T, B, G}, gx.options());
  const bool ln = has(ln_hh_w), ln_c = has(ln_c_w);
  auto ghn = ln ? at::empty({T, B, G}, gx.options()) : at::empty({0}, gx.options());
  auto rstd_h = ln ? at::empty({T, B}, gx.options()) : at::empty({0}, gx.options());
  auto cn = ln_c ? at::empty({T, B, H}, gx.options()) : at::empty({0}, gx.options());
  auto rstd_c = ln_c ? at::empty({T, B}, gx.options()) : at::empty({0}, gx.options());
  auto pre = at::empty({B, G}, gx.options());
  auto peep_or_zeros = has(peep) ? peep->contiguous() : at::zeros({3, H}, gx.options());
  auto ln_c_b_or_zeros = has(ln_c_b) ? ln_c_b->contiguous() : at::zeros({H}, gx.options());
  AT_DISPATCH_FLOATING_TYPES(gx.scalar_type(), "lstm_forward", [&] {
    using T_ = scalar_t;
    const T_* p = peep_or_zeros.data_ptr<T_>();
    const T_* gcw = ptr_or_null<T_>(ln_c_w);
    const T_* gcb = ln_c_b_or_zeros.data_ptr<T_>();
    const bool* m = has(mask) ? mask->data_ptr<bool>() : nullptr;
    for (int64_t t = 0; t < T; ++t) {
      Tensor h_prev = t == 0 ? h0 : hs[t - 1];
      Tensor c_prev_t = t == 0 ? c0 : cs[t - 1];
      Tensor ghn_t = ln ? ghn[t] : Tensor(), rstd_t = ln ? rstd_h[t] : Tensor();
      recurrent_projection<T_>(h_prev, w_hh, pre, ln_hh_w, ln_hh_b, &ghn_t, &rstd_t, eps);
      const T_* gxt = gx.data_ptr<T_>() + t * B * G;
      const T_* pr = pre.data_ptr<T_>();
      const T_* hp = h_prev.data_ptr<T_>();
      const T_* cp = c_prev_t.data_ptr<T_>();
      T_* ht = hs.data_ptr<T_>() + t * B * H;
      T_* ct = cs.data_ptr<T_>() + t * B * H;
      T_* gt = gates.data_ptr<T_>() + t * B * G;
      T_* cnt = ln_c ? cn.data_ptr<T_>() + t * B * H : nullptr;
      T_* rct = ln_c ? rstd_c.data_ptr<T_>() + t * B : nullptr;
      at::parallel_for(0, B, grain(G), [&](int64_t b0, int64_t b1) {
        std::vector<T_> c_hat_buf(ln_c ? H : 0);
        for (int64_t b = b0; b < b1; ++b) {
          const T_* a = gxt + b * G;  // W_ih x_t + b
          const T_* r = pr + b * G;   // W_hh h_{t-1} (+ b), or its layer norm
          const T_* c_prev = cp + b * H;
          T_* h = ht + b * H;
          T_* c = ct + b * H;
          T_* gate = gt + b * G;
          if (m && !m[t * B + b]) {  // masked step: the state stays
            for (int64_t j = 0; j < H; ++j) { h[j] = hp[b * H + j]; c[j] = c_prev[j]; }
            for (int64_t j = 0; j < G; ++j) gate[j] = 0;
            if (ln_c) { for (int64_t j = 0; j < H; ++j) cnt[b * H + j] = 0; rct[b] = 0; }
            continue;
          }
          lstm_row_ifgc(a, r, p, c_prev, c, gate, H);
          const T_* c_hat = c;  // what tanh sees: c_t, or LN(c_t)
          if (ln_c) {
            T_* norm = cnt + b * H;
            rct[b] = layer_norm_row(c, norm, H, T_(eps));
            for (int64_t j = 0; j < H; ++j) c_hat_buf[j] = gcw[j] * norm[j] + gcb[j];
            c_hat = c_hat_buf.data();
          }
          lstm_row_oh(a + 3 * H, r + 3 * H, p + 2 * H, c, c_hat, gate + 3 * H, h, H);
        }
      });
    }
  });
  return {hs, cs, gates, ghn, rstd_h, cn, rstd_c};
}

// Returns dgx (T, B, 4H), dW_hh, dpeep, dln_hh_w, dln_hh_b, dln_c_w, dln_c_b, dh0, dc0
// (undefined where the forward had no such input).
std::vector<Tensor> lstm_backward(const Tensor& dhs, const Tensor& dcT, const Tensor& hs,
                                  const Tensor& cs, const Tensor& gates, const Tensor& ghn,
                                  const Tensor& rstd_h, const Tensor& cn, const Tensor& rstd_c,
                                  const Tensor& w_hh, const OptTensor& peep,
                                  const OptTensor& ln_hh_w, const OptTensor& ln_hh_b,
                                  const OptTensor& ln_c_w, const OptTensor& ln_c_b,
                                  const Tensor& h0, const Tensor& c0, const OptTensor& mask) {
  const int64_t T = hs.size(0), B = hs.size(1), H = hs.size(2), G = 4 * H;
  const bool ln = has(ln_hh_w), ln_c = has(ln_c_w), pp = has(peep);
  auto opts = hs.options();
  auto dgx = at::empty({T, B, G}, opts);
  auto draw = ln ? at::empty({T, B, G}, opts) : dgx;  // gradient of W_hh h_{t-1}
  auto dc = dcT.clone();                              // (B, H), carried backwards
  auto dh_rec = at::zeros({B, H}, opts);              // from the next step's gates
  auto carry = at::zeros({B, H}, opts);               // dh passing through masked steps
  // Per-row accumulators (summed over t, reduced over rows at the end; no races).
  auto acc_p = at::zeros({B, 3 * H}, opts);
  auto peep_or_zeros = pp ? peep->contiguous() : at::zeros({3, H}, opts);
  auto ln_c_b_or_zeros = has(ln_c_b) ? ln_c_b->contiguous() : at::zeros({H}, opts);
  auto acc_lnh = ln ? at::zeros({B, 2 * G}, opts) : Tensor();
  auto acc_lnc = ln_c ? at::zeros({B, 2 * H}, opts) : Tensor();
  AT_DISPATCH_FLOATING_TYPES(hs.scalar_type(), "lstm_backward", [&] {
    using T_ = scalar_t;
    const T_* p = peep_or_zeros.data_ptr<T_>();
    const T_* ghw = ptr_or_null<T_>(ln_hh_w);
    const T_* gcw = ptr_or_null<T_>(ln_c_w);
    const T_* gcb = ln_c_b_or_zeros.data_ptr<T_>();
    const bool* m = has(mask) ? mask->data_ptr<bool>() : nullptr;
    T_* dcp = dc.data_ptr<T_>();
    T_* carry_p = carry.data_ptr<T_>();
    const size_t width = G + 4 * H;
    std::vector<T_> scratch_all(static_cast<size_t>(at::get_num_threads() + 1) * width);
    for (int64_t t = T - 1; t >= 0; --t) {
      const T_* dht = dhs.data_ptr<T_>() + t * B * H;
      const T_* dhr = dh_rec.data_ptr<T_>();
      const T_* ct = cs.data_ptr<T_>() + t * B * H;
      const T_* cp = (t == 0 ? c0 : cs[t - 1]).data_ptr<T_>();
      const T_* gt = gates.data_ptr<T_>() + t * B * G;
      T_* dgt = dgx.data_ptr<T_>() + t * B * G;
      T_* drt = draw.data_ptr<T_>() + t * B * G;
      at::parallel_for(0, B, grain(G), [&](int64_t b0, int64_t b1) {
        T_* scratch = scratch_all.data() + static_cast<size_t>(at::get_thread_num()) * width;
        for (int64_t b = b0; b < b1; ++b) {
          T_* dg = dgt + b * G;
          T_* dr = drt + b * G;
          T_* dcb = dcp + b * H;
          T_* cr = carry_p + b * H;
          if (m && !m[t * B + b]) {  // masked: gradients pass to the previous state untouched
            for (int64_t j = 0; j < H; ++j) cr[j] = dht[b * H + j] + dhr[b * H + j];
            for (int64_t j = 0; j < G; ++j) { dg[j] = 0; dr[j] = 0; }
            continue;
          }
          const T_* gate = gt + b * G;
          const T_* c = ct + b * H;
          const T_* c_prev = cp + b * H;
          T_* dh = scratch;              // H: dL/dh_t
          T_* th = scratch + H;          // H: tanh(ĉ_t)
          T_* dc_h = scratch + 2 * H;    // H: dL/dc_t through h_t
          T_* dchat = scratch + 3 * H;   // H: dL/dĉ_t
          T_* tmp = scratch + 4 * H;     // G: layer-norm work
          for (int64_t j = 0; j < H; ++j) dh[j] = dht[b * H + j] + dhr[b * H + j];
          if (ln_c) {  // h = o ⊙ tanh(ĉ), ĉ = γ_c ⊙ n + β_c, n = norm(c)
            const T_* norm = cn.data_ptr<T_>() + (t * B + b) * H;
            T_* acc = acc_lnc.data_ptr<T_>() + b * 2 * H;
            lstm_row_tanh_grad(dh, gate + 3 * H, norm, gcw, gcb, th, dchat, H);
            layer_norm_affine_backward(dchat, norm, gcw, rstd_c.data_ptr<T_>()[t * B + b], acc,
                                       acc + H, tmp, dc_h, H);
          } else {
            for (int64_t j = 0; j < H; ++j) {
              th[j] = tanh_(c[j]);
              dc_h[j] = dh[j] * gate[3 * H + j] * (T_(1) - th[j] * th[j]);
            }
          }
          lstm_row_backward(dh, gate, c, c_prev, th, dc_h, p, dcb, dg,
                            acc_p.data_ptr<T_>() + b * 3 * H, H);
          for (int64_t j = 0; j < H; ++j) cr[j] = 0;
          if (ln) {  // pre = γ_h ⊙ n + β_h, n = norm(W_hh h_{t-1})
            const T_* norm = ghn.data_ptr<T_>() + (t * B + b) * G;
            T_* acc = acc_lnh.data_ptr<T_>() + b * 2 * G;
            layer_norm_affine_backward(dg, norm, ghw, rstd_h.data_ptr<T_>()[t * B + b], acc, acc + G,
                                       tmp, dr, G);
          }
        }
      });
      // dL/dh_{t-1} = (dL/d pre_t) W_hh, plus what passed through masked rows
      at::addmm_out(dh_rec, carry, draw[t], w_hh);
    }
  });
  // dW_hh = sum_t (dL/d pre_t)^T h_{t-1}: one GEMM over all steps
  auto dw = at::mm(draw[0].t(), h0);
  if (T > 1) dw.addmm_(draw.narrow(0, 1, T - 1).reshape({(T - 1) * B, G}).t(),
                       hs.narrow(0, 0, T - 1).reshape({(T - 1) * B, H}));
  Tensor dpeep = pp ? acc_p.sum(0).view({3, H}) : Tensor();
  Tensor dlnh_w, dlnh_b, dlnc_w, dlnc_b;
  if (ln) {
    auto s = acc_lnh.sum(0);
    dlnh_w = s.narrow(0, 0, G).clone();
    if (has(ln_hh_b)) dlnh_b = s.narrow(0, G, G).clone();
  }
  if (ln_c) {
    auto s = acc_lnc.sum(0);
    dlnc_w = s.narrow(0, 0, H).clone();
    if (has(ln_c_b)) dlnc_b = s.narrow(0, H, H).clone();
  }
  return {dgx, dw, dpeep, dlnh_w, dlnh_b, dlnc_w, dlnc_b, dh_rec, dc};
}

// ---------------------------------------------------------------------------------------
// GRU (torch.nn.GRU's form), optionally with layer norm on the recurrent projection:
// gh = LN(W_hh h; ln_hh_w, b_hh) instead of W_hh h + b_hh.
// Returns hs (T, B, H), gates (T, B, 4H: r, z, n, gh_n), and for layer norm ghn, rstd_h.
std::vector<Tensor> gru_forward(const Tensor& gx, const Tensor& w_hh, const OptTensor& b_hh,
                                const OptTensor& ln_hh_w, const Tensor& h0,
                                const OptTensor& mask, double eps) {
  check_inputs(gx, w_hh, 3, {h0}, mask, {{&b_hh, 3}, {&ln_hh_w, 3}});
  const int64_t T = gx.size(0), B = gx.size(1), H = w_hh.size(1), G = 3 * H;
  const bool ln = has(ln_hh_w);
  auto hs = at::empty({T, B, H}, gx.options());
  auto gates = at::empty({T, B, 4 * H}, gx.options());
  auto ghn = ln ? at::empty({T, B, G}, gx.options()) : at::empty({0}, gx.options());
  auto rstd_h = ln ? at::empty({T, B}, gx.options()) : at::empty({0}, gx.options());
  auto pre = at::empty({B, G}, gx.options());
  auto bias_or_zeros = (has(b_hh) && !ln) ? b_hh->contiguous() : at::zeros({G}, gx.options());
  AT_DISPATCH_FLOATING_TYPES(gx.scalar_type(), "gru_forward", [&] {
    using T_ = scalar_t;
    const T_* bh = bias_or_zeros.data_ptr<T_>();  // with layer norm b_hh is its β, added there
    const bool* m = has(mask) ? mask->data_ptr<bool>() : nullptr;
    for (int64_t t = 0; t < T; ++t) {
      Tensor h_prev = t == 0 ? h0 : hs[t - 1];
      Tensor ghn_t = ln ? ghn[t] : Tensor(), rstd_t = ln ? rstd_h[t] : Tensor();
      recurrent_projection<T_>(h_prev, w_hh, pre, ln_hh_w, b_hh, &ghn_t, &rstd_t, eps);
      const T_* gxt = gx.data_ptr<T_>() + t * B * G;
      const T_* pr = pre.data_ptr<T_>();
      const T_* hp = h_prev.data_ptr<T_>();
      T_* ht = hs.data_ptr<T_>() + t * B * H;
      T_* gt = gates.data_ptr<T_>() + t * B * 4 * H;
      at::parallel_for(0, B, grain(G), [&](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
          const T_* a = gxt + b * G;
          const T_* r_ = pr + b * G;
          const T_* h_prev_b = hp + b * H;
          T_* h = ht + b * H;
          T_* gate = gt + b * 4 * H;
          if (m && !m[t * B + b]) {
            for (int64_t j = 0; j < H; ++j) h[j] = h_prev_b[j];
            for (int64_t j = 0; j < 4 * H; ++j) gate[j] = 0;
            continue;
          }
          gru_row_forward(a, r_, bh, h_prev_b, h, gate, H);
        }
      });
    }
  });
  return {hs, gates, ghn, rstd_h};
}

// Returns dgx (T, B, 3H), dW_hh, db_hh, dln_hh_w, dh0.
std::vector<Tensor> gru_backward(const Tensor& dhs, const Tensor& hs, const Tensor& gates,
                                 const Tensor& ghn, const Tensor& rstd_h, const Tensor& w_hh,
                                 const OptTensor& b_hh, const OptTensor& ln_hh_w,
                                 const Tensor& h0, const OptTensor& mask) {
  const int64_t T = hs.size(0), B = hs.size(1), H = hs.size(2), G = 3 * H;
  const bool ln = has(ln_hh_w);
  auto opts = hs.options();
  auto dgx = at::empty({T, B, G}, opts);
  auto dgh = at::empty({T, B, G}, opts);   // dL/d(recurrent projection), after layer norm
  auto draw = ln ? at::empty({T, B, G}, opts) : dgh;
  auto dh_rec = at::zeros({B, H}, opts);
  auto carry = at::zeros({B, H}, opts);
  auto acc_ln = ln ? at::zeros({B, 2 * G}, opts) : Tensor();
  AT_DISPATCH_FLOATING_TYPES(hs.scalar_type(), "gru_backward", [&] {
    using T_ = scalar_t;
    const T_* ghw = ptr_or_null<T_>(ln_hh_w);
    const bool* m = has(mask) ? mask->data_ptr<bool>() : nullptr;
    T_* carry_p = carry.data_ptr<T_>();
    for (int64_t t = T - 1; t >= 0; --t) {
      const T_* dht = dhs.data_ptr<T_>() + t * B * H;
      const T_* dhr = dh_rec.data_ptr<T_>();
      const T_* hp = (t == 0 ? h0 : hs[t - 1]).data_ptr<T_>();
      const T_* gt = gates.data_ptr<T_>() + t * B * 4 * H;
      T_* dgt = dgx.data_ptr<T_>() + t * B * G;
      T_* dht_ = dgh.data_ptr<T_>() + t * B * G;
      T_* drt = draw.data_ptr<T_>() + t * B * G;
      at::parallel_for(0, B, grain(G), [&](int64_t b0, int64_t b1) {
        std::vector<T_> tmp(ln ? 2 * G : 0);
        for (int64_t b = b0; b < b1; ++b) {
          T_* dg = dgt + b * G;
          T_* dr = dht_ + b * G;
          T_* cr = carry_p + b * H;
          if (m && !m[t * B + b]) {
            for (int64_t j = 0; j < H; ++j) cr[j] = dht[b * H + j] + dhr[b * H + j];
            for (int64_t j = 0; j < G; ++j) { dg[j] = 0; dr[j] = 0; drt[b * G + j] = 0; }
            continue;
          }
          const T_* gate = gt + b * 4 * H;
          const T_* h_prev = hp + b * H;
          for (int64_t j = 0; j < H; ++j) {
            T_ r = gate[j], z = gate[H + j], n = gate[2 * H + j], gh_n = gate[3 * H + j];
            T_ dh = dht[b * H + j] + dhr[b * H + j];
            T_ d_n = dh * (T_(1) - z) * (T_(1) - n * n);      // dL/d(n pre-activation)
            T_ d_z = dh * (h_prev[j] - n) * z * (T_(1) - z);  // dL/d(z pre-activation)
            T_ d_r = d_n * gh_n * r * (T_(1) - r);             // dL/d(r pre-activation)
            dg[j] = d_r; dg[H + j] = d_z; dg[2 * H + j] = d_n;
            dr[j] = d_r; dr[H + j] = d_z; dr[2 * H + j] = d_n * r;
            cr[j] = dh * z;  // h_t = ... + z ⊙ h_{t-1}
          }
          if (ln) {  // the β half of acc goes unused: b_hh's gradient is the sum of dgh
            const T_* norm = ghn.data_ptr<T_>() + (t * B + b) * G;
            T_* acc = acc_ln.data_ptr<T_>() + b * 2 * G;
            layer_norm_affine_backward(dr, norm, ghw, rstd_h.data_ptr<T_>()[t * B + b], acc, acc + G,
                                       tmp.data(), drt + b * G, G);
          }
        }
      });
      at::addmm_out(dh_rec, carry, draw[t], w_hh);
    }
  });
  auto dw = at::mm(draw[0].t(), h0);
  if (T > 1) dw.addmm_(draw.narrow(0, 1, T - 1).reshape({(T - 1) * B, G}).t(),
                       hs.narrow(0, 0, T - 1).reshape({(T - 1) * B, H}));
  Tensor db = has(b_hh) ? dgh.sum({0, 1}) : Tensor();
  Tensor dlnw = ln ? acc_ln.narrow(1, 0, G).sum(0) : Tensor();
  return {dgx, dw, db, dlnw, dh_rec};
}

// ---------------------------------------------------------------------------------------
// Elman RNN: h_t = φ(gx_t + W_hh h_{t-1}), φ = tanh or relu (both biases are in gx).
Tensor rnn_forward(const Tensor& gx, const Tensor& w_hh, const Tensor& h0, const OptTensor& mask,
                   bool relu) {
  check_inputs(gx, w_hh, 1, {h0}, mask, {});
  const int64_t T = gx.size(0), B = gx.size(1), H = w_hh.size(1);
  auto hs = at::empty({T, B, H}, gx.options());
  auto pre = at::empty({B, H}, gx.options());
  AT_DISPATCH_FLOATING_TYPES(gx.scalar_type(), "rnn_forward", [&] {
    using T_ = scalar_t;
    const bool* m = has(mask) ? mask->data_ptr<bool>() : nullptr;
    for (int64_t t = 0; t < T; ++t) {
      Tensor h_prev = t == 0 ? h0 : hs[t - 1];
      at::mm_out(pre, h_prev, w_hh.t());
      const T_* a = gx.data_ptr<T_>() + t * B * H;
      const T_* pr = pre.data_ptr<T_>();
      const T_* hp = h_prev.data_ptr<T_>();
      T_* h = hs.data_ptr<T_>() + t * B * H;
      at::parallel_for(0, B, grain(H), [&](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
          const int64_t o = b * H;
          if (m && !m[t * B + b]) {
            for (int64_t j = 0; j < H; ++j) h[o + j] = hp[o + j];
          } else if (relu) {
            for (int64_t j = 0; j < H; ++j) h[o + j] = relu_(a[o + j] + pr[o + j]);
          } else {
            for (int64_t j = 0; j < H; ++j) h[o + j] = tanh_(a[o + j] + pr[o + j]);
          }
        }
      });
    }
  });
  return hs;
}

// Returns dgx (T, B, H), dW_hh, dh0.
std::vector<Tensor> rnn_backward(const Tensor& dhs, const Tensor& hs, const Tensor& w_hh,
                                 const Tensor& h0, const OptTensor& mask, bool relu) {
  const int64_t T = hs.size(0), B = hs.size(1), H = hs.size(2);
  auto dgx = at::empty({T, B, H}, hs.options());
  auto dh_rec = at::zeros({B, H}, hs.options());
  auto carry = at::zeros({B, H}, hs.options());
  AT_DISPATCH_FLOATING_TYPES(hs.scalar_type(), "rnn_backward", [&] {
    using T_ = scalar_t;
    const bool* m = has(mask) ? mask->data_ptr<bool>() : nullptr;
    T_* cr = carry.data_ptr<T_>();
    for (int64_t t = T - 1; t >= 0; --t) {
      const T_* dht = dhs.data_ptr<T_>() + t * B * H;
      const T_* dhr = dh_rec.data_ptr<T_>();
      const T_* h = hs.data_ptr<T_>() + t * B * H;
      T_* dg = dgx.data_ptr<T_>() + t * B * H;
      at::parallel_for(0, B, grain(H), [&](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
          const bool keep = m && !m[t * B + b];
          for (int64_t j = b * H; j < (b + 1) * H; ++j) {
            T_ dh = dht[j] + dhr[j];
            T_ dphi = relu ? (h[j] > 0 ? T_(1) : T_(0)) : T_(1) - h[j] * h[j];
            dg[j] = keep ? T_(0) : dh * dphi;
            cr[j] = keep ? dh : T_(0);
          }
        }
      });
      at::addmm_out(dh_rec, carry, dgx[t], w_hh);
    }
  });
  auto dw = at::mm(dgx[0].t(), h0);
  if (T > 1) dw.addmm_(dgx.narrow(0, 1, T - 1).reshape({(T - 1) * B, H}).t(),
                       hs.narrow(0, 0, T - 1).reshape({(T - 1) * B, H}));
  return {dgx, dw, dh_rec};
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("lstm_forward", &lstm_forward);
  m.def("lstm_backward", &lstm_backward);
  m.def("gru_forward", &gru_forward);
  m.def("gru_backward", &gru_backward);
  m.def("rnn_forward", &rnn_forward);
  m.def("rnn_backward", &rnn_backward);
}
