// LSTM (peepholes and layer norm optional): forward and explicit BPTT. Equations: cells.py.

#include "common.h"

using namespace seqlab;

namespace {

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

}  // namespace

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
