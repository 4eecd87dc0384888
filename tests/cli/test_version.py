"""One version string: pyproject.toml's, read back by seqlab.__version__ and `seqlab --version`."""

import re
import tomllib
from importlib import metadata
from pathlib import Path

from typer.testing import CliRunner

import seqlab
from seqlab.cli.main import app

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_version_is_the_one_in_pyproject():
    declared = tomllib.loads(PYPROJECT.read_text())["project"]["version"]
    assert seqlab.__version__ == metadata.version("seqlab") == declared


def test_seqlab_version_prints_it_and_exits():
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"seqlab {seqlab.__version__}"


def test_no_other_version_literal_in_the_package():
    """The version is written once: no module sets its own."""
    for path in (Path(seqlab.__file__).parent).rglob("*.py"):
        assert not re.search(r"__version__ = [\"']\d+\.\d", path.read_text()), path
