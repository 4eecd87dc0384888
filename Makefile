# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
# torch first, pinned: a bare requirement would pull a multi-GB CUDA build. On this project's
# machines pip finds the CPU wheel of 2.13.0 on local disk; elsewhere run e.g.
# make test TORCH="torch==2.13.0 --index-url <PyTorch's CPU wheel index>"
TORCH  ?= torch==2.13.0

.PHONY: demo test bench bench-forecast bench-text bench-long-memory bench-images bench-tsc bench-speech bench-anomaly bench-lm bench-translate install install-dev clean

$(VENV)/.installed: pyproject.toml $(wildcard src/seqlab/kernels/csrc/*)
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q $(TORCH)
	$(PIP) install -q -e ".[dev,speech,translate,explain]"  # every extra: the suite tests them all
	$(PY) -m seqlab.kernels.build
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed

demo: install
	$(VENV)/bin/seqlab train --out runs/demo --overwrite

# the HTML reports' end-to-end test renders them in Debian's headless Chromium
CHROMIUM ?= /usr/bin/chromium
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null

test: install-dev $(CHROMIUM)
	$(PY) -m pytest -n 2 -q

# recurrent kernels vs torch.nn and Keras 3 (installed here only), then the seed model's fit
# against Keras' (about 25 minutes on 2 cores)
bench: install
	$(PIP) install -q -e ".[bench]"
	$(PY) bench/recurrent.py
	$(PY) bench/fit_seed.py

# ETTh1, every forecasting family, horizons 96-720 (about 40 minutes on 2 cores)
bench-forecast: install
	$(PY) bench/forecast_ett.py --features M
	$(PY) bench/forecast_ett.py --features S

# SST-2 from scratch, every text-classification family and auto, plus bucketing throughput
bench-text: install
	$(PY) bench/text_sst2.py

# every architecture on the adding problem and copy memory at T = 50, 200, 1000, then sequential
# and permuted pixel MNIST, 30 s (MNIST 120 s) of training each (about an hour on 2 cores)
bench-long-memory: install
	$(PY) bench/long_memory.py --budget 30

# MNIST row by row, pixel by pixel and as images: LSTM, GRU, TCN and the seed's Conv2D (about 15 minutes)
bench-images: install
	$(PY) bench/images_mnist.py

# FCN on six UCR/UEA datasets, 5 seeds each, 100 s per run, two runs side by side (about 27 minutes)
bench-tsc: install
	$(PY) bench/tsc_ucr.py --seeds 5 --workers 2 --budget-s 1500

# spoken digits (FSDD): auto, every family, log-mel, noise at 20/10 dB, speakers held out (about 15 minutes)
bench-speech: install
	$(PY) bench/speech_fsdd.py --part auto
	$(PY) bench/speech_fsdd.py --part families --models conv1d,cnn-rnn --features logmel
	$(PY) bench/speech_fsdd.py --part families,speakers --models lstm,gru,bilstm,bigru --max-seconds 45 --speaker-epochs 12

# every detector on the 30 labelled NAB series (about 2 minutes)
bench-anomaly: install
	$(PY) bench/anomaly_nab.py

# Tiny Shakespeare: the default char model (29 minutes of training) and a word model (5 minutes)
bench-lm: install
	$(PY) bench/lm_shakespeare.py --train

# English -> French with attention (about 10 minutes)
bench-translate: install
	$(PY) bench/translate_fra.py --models gru+bahdanau,lstm+luong --max-time 150

clean:
	rm -rf $(VENV) runs build src/*.egg-info .pytest_cache
