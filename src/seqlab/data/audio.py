r"""Audio for spoken-word recognition: WAV reading, resampling, log-mel and MFCC features, noise.

``read_wav(path, sample_rate)`` reads any PCM/float WAV that ``soundfile`` (libsndfile) reads,
mixes it to mono (the mean of the channels) and resamples it to ``sample_rate`` with soxr
(``librosa.resample(res_type="soxr_hq")``). An unreadable, empty or non-finite file is a
:class:`~seqlab.errors.DataError` that names the file.

``features(wave, spec)`` turns a waveform into a (T, D) matrix, one row per 10 ms frame
(``FeatureSpec``'s defaults), with librosa:

    X_t(f) = \sum_n w(n) x(n + t hop) e^{-2 \pi i f n / n_fft}     (STFT, Hann window of win_ms)
    M_t(m) = \sum_f H_m(f) |X_t(f)|^2                              (Slaney-normalised mel filterbank, n_mels bands)
    logmel_t(m) = 10 \log_{10}(\max(M_t(m), 10^{-10}))             (``librosa.power_to_db``, ref 1)
    mfcc_t(k) = DCT-II(logmel_t)(k),  k < n_mfcc                   (Davis & Mermelstein 1980; orthonormal DCT)
    z_t(d) = (v_t(d) - \mu(d)) / (\sigma(d) + 10^{-5})              (per-utterance mean and variance normalisation)

with \mu and \sigma the mean and standard deviation of each feature over the utterance's frames,
so loudness and channel differences between recordings vanish (cepstral mean and variance
normalisation, CMVN). ``deltas`` appends the first differences (``librosa.feature.delta``).

``add_white_noise(wave, snr_db, rng)`` adds Gaussian white noise at a stated signal-to-noise ratio:

    \sigma_n^2 = P_x / 10^{SNR/10},   P_x = mean(x^2)

File names follow ``{label}_{speaker}_{index}.wav`` (the Free Spoken Digit Dataset's scheme):
the label is the text before the first underscore, the index the integer after the last, the
speaker what lies between. :func:`parse_name` checks this and names the file when it does not hold.

Example:
    >>> import numpy as np
    >>> spec = FeatureSpec(kind="mfcc", sample_rate=8000)
    >>> wave = np.sin(2 * np.pi * 440 * np.arange(8000) / 8000).astype(np.float32)
    >>> features(wave, spec).shape   # 1 s at a 10 ms hop, 20 coefficients
    (101, 20)
    >>> parse_name("7_jackson_32.wav")
    ('7', 'jackson', 32)
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from seqlab.data import memory
from seqlab.errors import ConfigError, DataError
from seqlab.extras import require

WAV_SUFFIX = ".wav"
EPS = 1e-5


@dataclass(frozen=True)
class FeatureSpec:
    """How a waveform becomes frames; saved in a run's preprocessing.json, so prediction repeats it.

    Args:
        kind: ``logmel`` (log mel energies) or ``mfcc`` (their DCT).
        sample_rate: the rate every file is resampled to before the STFT.
        n_mels: mel bands. n_mfcc: cepstral coefficients kept (``mfcc``).
        win_ms, hop_ms: the STFT window and hop in milliseconds (n_fft: the next power of two).
        deltas: append first differences of every feature (doubles D).
        normalize: per-utterance mean/variance normalisation of each feature.
    """

    kind: str = "logmel"
    sample_rate: int = 8000
    n_mels: int = 40
    n_mfcc: int = 20
    win_ms: float = 25.0
    hop_ms: float = 10.0
    deltas: bool = False
    normalize: bool = True

    def __post_init__(self) -> None:
        if self.kind not in ("logmel", "mfcc"):
            raise ConfigError(f"features: `kind` must be logmel or mfcc, got {self.kind!r}")
        if not isinstance(self.sample_rate, int) or self.sample_rate < 1000:
            raise ConfigError(f"features: `sample_rate` must be an integer of at least 1000 Hz, got {self.sample_rate!r}")
        if self.kind == "mfcc" and not 1 <= self.n_mfcc <= self.n_mels:
            raise ConfigError(f"features: `n_mfcc` must be between 1 and n_mels={self.n_mels}, got {self.n_mfcc}")
        if not 0 < self.hop_ms <= self.win_ms:
            raise ConfigError(f"features: need 0 < hop_ms <= win_ms, got hop_ms={self.hop_ms}, win_ms={self.win_ms}")

    @property
    def win_length(self) -> int:
        return max(int(round(self.sample_rate * self.win_ms / 1000)), 2)

    @property
    def hop_length(self) -> int:
        return max(int(round(self.sample_rate * self.hop_ms / 1000)), 1)

    @property
    def n_fft(self) -> int:
        return 1 << math.ceil(math.log2(self.win_length))

    @property
    def dim(self) -> int:
        """D, the width of a frame."""
        base = self.n_mfcc if self.kind == "mfcc" else self.n_mels
        return base * (2 if self.deltas else 1)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> FeatureSpec:
        return cls(**d)


# --------------------------------------------------------------------------------------------
# Files


def parse_name(path: str | Path) -> tuple[str, str, int]:
    """``(label, speaker, index)`` of a ``{label}_{speaker}_{index}.wav`` file; DataError otherwise."""
    path = Path(path)
    parts = path.stem.split("_")
    if len(parts) < 3 or not parts[0] or not parts[-1].isdigit() or not "_".join(parts[1:-1]):
        raise DataError(f"{path}: file names must read {{label}}_{{speaker}}_{{index}}.wav (e.g. 7_jackson_32.wav); "
                        "rename the file or move it out of the folder")
    return parts[0], "_".join(parts[1:-1]), int(parts[-1])


def list_wavs(source: str | Path) -> list[Path]:
    """The .wav files of a folder (sorted by name), or ``[source]`` for one file; DataError when there are none."""
    source = Path(source).expanduser()
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise DataError(f"{source}: no such file or folder; give a folder of .wav files")
    files = sorted(p for p in source.iterdir() if p.is_file() and p.suffix.lower() == WAV_SUFFIX)
    if not files:
        raise DataError(f"{source}: no .wav files in this folder")
    return files


def wav_rate(path: str | Path) -> int:
    """The sample rate in the header of a WAV file (or of a waveform lent in memory)."""
    import soundfile as sf

    lent = memory.lookup(str(path))
    if lent is not None:
        return int(lent[1])
    try:
        return int(sf.info(str(path)).samplerate)
    except (RuntimeError, sf.LibsndfileError) as exc:  # LibsndfileError subclasses RuntimeError in 0.12+
        raise DataError(f"{path}: not a readable WAV file ({exc})") from None


def common_rate(files: list[Path]) -> int:
    """The most common sample rate of ``files`` (the highest on a tie)."""
    counts = Counter(wav_rate(p) for p in files)
    return max(counts, key=lambda r: (counts[r], r))


def read_wav(path: str | Path, sample_rate: int | None = None) -> np.ndarray:
    """A WAV file as mono float32 samples in [-1, 1], resampled to ``sample_rate`` if given.

    Raises:
        DataError: the file cannot be read as audio, has no samples, or holds NaN/Inf.
    """
    import soundfile as sf

    lent = memory.lookup(str(path))
    try:
        if lent is not None:  # (samples (N,) or (N, channels), rate) given in memory
            data, rate = np.asarray(lent[0], dtype=np.float32), int(lent[1])
            data = data[:, None] if data.ndim == 1 else data
        else:
            data, rate = sf.read(str(path), dtype="float32", always_2d=True)  # (N, channels)
    except (RuntimeError, sf.LibsndfileError, ValueError, TypeError) as exc:
        raise DataError(f"{path}: not a readable WAV file or waveform ({exc})") from None
    if data.ndim != 2:
        raise DataError(f"{path}: a waveform of shape (N,) or (N, channels) is needed, got {data.shape}")
    if data.shape[0] == 0 or data.shape[1] == 0:
        raise DataError(f"{path}: the file holds no audio samples; remove it or record it again")
    if not np.isfinite(data).all():
        raise DataError(f"{path}: the audio holds NaN or infinite samples; the file is corrupt")
    wave = data.mean(axis=1)  # (N,) mono: the mean of the channels
    if sample_rate is not None and rate != sample_rate:
        librosa = require("librosa", extra="speech")
        wave = librosa.resample(wave, orig_sr=rate, target_sr=sample_rate, res_type="soxr_hq")
        if wave.size == 0:
            raise DataError(f"{path}: too short to resample from {rate} Hz to {sample_rate} Hz")
    return np.ascontiguousarray(wave, dtype=np.float32)


# --------------------------------------------------------------------------------------------
# Features


def features(wave: np.ndarray, spec: FeatureSpec, where: str = "waveform") -> np.ndarray:
    """(T, D) float32 frames of ``wave`` (1-D, at ``spec.sample_rate``); see the module docstring."""
    librosa = require("librosa", extra="speech")

    wave = np.asarray(wave, dtype=np.float32)
    if wave.ndim != 1:
        raise DataError(f"{where}: expected a 1-D waveform, got shape {wave.shape}")
    if wave.size == 0:
        raise DataError(f"{where}: the waveform has no samples")
    if not np.isfinite(wave).all():
        raise DataError(f"{where}: the waveform holds NaN or infinite samples")
    if wave.size < spec.n_fft:  # shorter than one window: pad with silence (librosa warns otherwise)
        wave = np.pad(wave, (0, spec.n_fft - wave.size))
    mel = librosa.feature.melspectrogram(
        y=wave, sr=spec.sample_rate, n_fft=spec.n_fft, hop_length=spec.hop_length, win_length=spec.win_length,
        n_mels=spec.n_mels, power=2.0)  # (n_mels, T)
    v = librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None)  # (n_mels, T)
    if spec.kind == "mfcc":
        v = librosa.feature.mfcc(S=v, n_mfcc=spec.n_mfcc)  # (n_mfcc, T)
    if spec.deltas:
        width = min(9, v.shape[1] if v.shape[1] % 2 else v.shape[1] - 1)
        d = librosa.feature.delta(v, width=width, mode="nearest") if width >= 3 else np.zeros_like(v)
        v = np.concatenate([v, d], axis=0)  # (2D, T)
    v = v.T  # (T, D)
    if spec.normalize:
        v = (v - v.mean(axis=0, keepdims=True)) / (v.std(axis=0, keepdims=True) + EPS)
    return np.ascontiguousarray(v, dtype=np.float32)


def add_white_noise(wave: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """``wave`` plus Gaussian white noise whose power is the signal's power / 10^(snr_db / 10).

    Example:
        >>> x = np.sin(np.arange(80000) / 5).astype(np.float32)
        >>> n = add_white_noise(x, 10.0, np.random.default_rng(0)) - x
        >>> round(float(10 * np.log10((x ** 2).mean() / (n ** 2).mean())), 1)
        10.0
    """
    power = float(np.mean(np.square(wave, dtype=np.float64)))
    sigma = math.sqrt(power / 10 ** (snr_db / 10))
    return (wave + rng.normal(0.0, sigma, size=wave.shape)).astype(np.float32)


def file_features(path: str | Path, spec: FeatureSpec, snr_db: float | None = None,
                  rng: np.random.Generator | None = None) -> np.ndarray:
    """(T, D) features of a WAV file, optionally with white noise at ``snr_db`` added first."""
    wave = read_wav(path, spec.sample_rate)
    if snr_db is not None:
        wave = add_white_noise(wave, snr_db, rng if rng is not None else np.random.default_rng(0))
    return features(wave, spec, where=str(path))
