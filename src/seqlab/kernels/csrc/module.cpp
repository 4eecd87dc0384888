// The Python module: seqlab.kernels.native loads it.

#include <torch/extension.h>

#include "common.h"

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m) {
  m.def("lstm_forward", &lstm_forward);
  m.def("lstm_backward", &lstm_backward);
  m.def("gru_forward", &gru_forward);
  m.def("gru_backward", &gru_backward);
  m.def("rnn_forward", &rnn_forward);
  m.def("rnn_backward", &rnn_backward);
}
