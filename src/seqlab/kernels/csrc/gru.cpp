// GRU (torch.nn.GRU's form, layer norm optional): forward and explicit BPTT. Equations: cells.py.

#include "common.h"

using namespace seqlab;

namespace {

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
