"""WAV reading, resampling, features and noise on real FSDD recordings, checked against independent computations."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import resample_poly

from seqlab.data.audio import (FeatureSpec, add_white_noise, common_rate, features, list_wavs, parse_name, read_wav)
from seqlab.errors import ConfigError, DataError


@pytest.fixture(scope="module")
def recording(shared_data):
    return shared_data / "speech" / "fsdd" / "recordings" / "7_jackson_32.wav"


def test_names_give_label_speaker_and_index():
    assert parse_name("7_jackson_32.wav") == ("7", "jackson", 32)
    assert parse_name("/x/yes_some_one_3.WAV") == ("yes", "some_one", 3)  # the speaker may hold underscores
    for bad in ("7_jackson.wav", "7_jackson_x.wav", "_jackson_3.wav", "7__3.wav", "noise.wav"):
        with pytest.raises(DataError, match="label.*speaker.*index") as err:
            parse_name(bad)
        assert bad in str(err.value)


def test_a_real_recording_reads_as_mono_float_in_range(recording):
    wave = read_wav(recording)
    pcm, rate = sf.read(recording, dtype="int16")
    assert rate == 8000 and wave.dtype == np.float32 and wave.ndim == 1
    np.testing.assert_allclose(wave, pcm / 32768.0, atol=1e-7)  # 16-bit PCM scaled to [-1, 1)


def test_stereo_24_bit_at_16k_is_mixed_and_resampled_to_the_run_rate(recording, tmp_path):
    """A stereo 24-bit copy at 16 kHz (the left channel the recording, the right half of it) reads back as
    the mean of the channels at 8 kHz, matching scipy's independent polyphase resampling."""
    wave = read_wav(recording)
    up = resample_poly(wave.astype(np.float64), 2, 1)
    stereo = np.stack([up, 0.5 * up], axis=1) * 0.9
    path = tmp_path / "7_other_1.wav"
    sf.write(path, stereo, 16000, subtype="PCM_24")
    assert common_rate([path]) == 16000
    back = read_wav(path, 8000)
    expected = resample_poly(stereo.mean(axis=1), 1, 2)
    assert abs(len(back) - len(expected)) <= 1
    n = min(len(back), len(expected))
    assert np.corrcoef(back[:n], expected[:n])[0, 1] > 0.995
    assert np.corrcoef(back[:n], 0.675 * wave[:n])[0, 1] > 0.99


def test_bad_files_are_errors_that_name_the_file(tmp_path):
    empty = tmp_path / "1_a_1.wav"
    sf.write(empty, np.zeros((0, 1)), 8000, subtype="PCM_16")
    with pytest.raises(DataError, match="no audio samples") as err:
        read_wav(empty)
    assert str(empty) in str(err.value)
    text = tmp_path / "2_a_1.wav"
    text.write_text("not audio")
    with pytest.raises(DataError, match="not a readable WAV") as err:
        read_wav(text)
    assert str(text) in str(err.value)
    nan = tmp_path / "3_a_1.wav"
    sf.write(nan, np.array([0.1, np.nan, 0.2] * 100, dtype=np.float32), 8000, subtype="FLOAT")
    with pytest.raises(DataError, match="NaN"):
        read_wav(nan)
    (tmp_path / "sub").mkdir()
    with pytest.raises(DataError, match="no .wav files"):
        list_wavs(tmp_path / "sub")
    with pytest.raises(DataError, match="no such file"):
        list_wavs(tmp_path / "missing")


def test_log_mel_matches_an_independent_numpy_computation(recording):
    """Hann-windowed frames, |rfft|^2, the mel filterbank, 10 log10: the same frames as librosa's path."""
    import librosa

    spec = FeatureSpec(kind="logmel", normalize=False)
    wave = read_wav(recording, 8000)
    ours = features(wave, spec)  # (T, 40)
    n_fft, hop, win = spec.n_fft, spec.hop_length, spec.win_length
    assert (n_fft, hop, win) == (256, 80, 200)
    padded = np.pad(wave.astype(np.float64), n_fft // 2, mode="constant")
    window = np.zeros(n_fft)
    window[(n_fft - win) // 2:(n_fft - win) // 2 + win] = np.hanning(win + 1)[:-1]  # periodic Hann, centred
    T = 1 + len(wave) // hop
    frames = np.stack([padded[t * hop:t * hop + n_fft] * window for t in range(T)])  # (T, n_fft)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2  # (T, n_fft/2+1)
    mel = power @ librosa.filters.mel(sr=8000, n_fft=n_fft, n_mels=40).T  # (T, 40)
    expected = 10 * np.log10(np.maximum(mel, 1e-10))
    assert ours.shape == expected.shape == (T, 40)
    np.testing.assert_allclose(ours, expected, atol=1e-2)


def test_mfcc_is_the_dct_of_log_mel_and_normalisation_is_per_utterance(recording):
    from scipy.fft import dct

    wave = read_wav(recording, 8000)
    logmel = features(wave, FeatureSpec(kind="logmel", normalize=False))
    mfcc = features(wave, FeatureSpec(kind="mfcc", normalize=False))
    np.testing.assert_allclose(mfcc, dct(logmel, type=2, norm="ortho", axis=1)[:, :20], atol=1e-2)
    z = features(wave, FeatureSpec(kind="mfcc", deltas=True))
    assert z.shape == (len(mfcc), 40)
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(z.std(axis=0), 1, atol=1e-3)
    louder = features(4 * wave, FeatureSpec(kind="mfcc", deltas=True))  # gain is a constant log offset: removed
    np.testing.assert_allclose(louder, z, atol=2e-3)


def test_a_wave_shorter_than_a_window_is_padded_with_silence():
    short = features(np.array([0.1, -0.2, 0.3, 0.0, 0.1], dtype=np.float32), FeatureSpec(kind="mfcc", deltas=True))
    assert short.shape == (4, 40) and np.isfinite(short).all()


def test_feature_errors():
    with pytest.raises(DataError, match="NaN"):
        features(np.array([0.0, np.nan, 1.0], dtype=np.float32), FeatureSpec())
    with pytest.raises(DataError, match="1-D"):
        features(np.zeros((10, 2), dtype=np.float32), FeatureSpec())
    with pytest.raises(ConfigError, match="kind"):
        FeatureSpec(kind="spectrogram")
    with pytest.raises(ConfigError, match="n_mfcc"):
        FeatureSpec(kind="mfcc", n_mfcc=50, n_mels=40)


def test_white_noise_has_the_stated_snr_and_is_seeded(recording):
    wave = read_wav(recording)
    for snr in (20.0, 10.0):
        noisy = add_white_noise(wave, snr, np.random.default_rng(1))
        noise = noisy.astype(np.float64) - wave
        measured = 10 * np.log10(np.mean(wave.astype(np.float64) ** 2) / np.mean(noise ** 2))
        assert abs(measured - snr) < 0.2
        np.testing.assert_array_equal(noisy, add_white_noise(wave, snr, np.random.default_rng(1)))
