// Elman RNN (tanh or relu): forward and explicit BPTT. Equations: cells.py.

#include "common.h"

using namespace seqlab;

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
