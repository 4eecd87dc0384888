"""Errors a user can cause. Each message says what, where and what to do; tracebacks are for bugs."""


class SeqlabError(Exception):
    """Base of every user-facing error; the CLI prints its message without a traceback."""


class ConfigError(SeqlabError, ValueError):
    """A config file or argument is wrong: unknown key, wrong type, bad value. Names the key."""


class ShapeError(SeqlabError, ValueError):
    """A tensor reached a layer with the wrong shape. Names the layer, expected and given shapes."""


class DataError(SeqlabError, ValueError):
    """Input data is unusable: NaN/Inf, empty, unreadable. Names the file, row or column."""


class RunDirError(SeqlabError, FileExistsError):
    """A run directory already exists (and --overwrite was not given) or is not a run directory."""


class WeightsError(SeqlabError, ValueError):
    """A weights file is corrupt, foreign or does not match the model it is loaded into."""


class NonFiniteLossError(SeqlabError, FloatingPointError):
    """The training loss became NaN or Inf. Names the epoch and step."""


def describe_validation(exc, known: list[str] | None = None) -> str:
    """One clause per pydantic validation error, naming the key by its dotted path."""
    parts = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"] if p not in ("series", "text", "mnist")]  # union tags
        key = ".".join(loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            hint = f" (known keys: {', '.join(known)})" if known else ""
            parts.append(f"unknown key `{key}`{hint}")
        elif err["type"] == "missing":
            parts.append(f"missing required key `{key}`")
        else:
            parts.append(f"`{key}`: {err['msg']} (got {err.get('input')!r})")
    return "; ".join(parts)
