"""A small real slice of the Free Spoken Digit Dataset, shared by the speech task and CLI tests."""

from __future__ import annotations

from pathlib import Path

import pytest

SPEAKERS = ("jackson", "nicolas", "theo")
INDICES = range(15)  # 0-4: the official test files; 5-14 train


def make_slice(shared_data: Path, folder: Path, speakers=SPEAKERS, indices=INDICES, digits=range(6)) -> Path:
    """Links to FSDD recordings of ``speakers`` x ``digits`` x ``indices`` in ``folder``."""
    source = shared_data / "speech" / "fsdd" / "recordings"
    folder.mkdir(parents=True, exist_ok=True)
    for speaker in speakers:
        for digit in digits:
            for index in indices:
                name = f"{digit}_{speaker}_{index}.wav"
                (folder / name).symlink_to(source / name)
    return folder


@pytest.fixture(scope="session")
def fsdd_slice(shared_data, tmp_path_factory) -> Path:
    """270 recordings: 3 speakers x digits 0-5 x indices 0-14 (90 test, 180 for training and validation)."""
    return make_slice(shared_data, tmp_path_factory.mktemp("fsdd") / "recordings")
