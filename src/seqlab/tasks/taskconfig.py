"""What every task's config shares: a model that is a name, 'auto' or a mapping, YAML loading,
and CLI options merged with a file and ``--set key=value`` overrides.

A task config (forecasting's ``ForecastConfig``, text's ``TextConfig``) is a pydantic model with a
``data`` section and a ``model`` field typed ``SomeModelConfig | Literal["auto"]``.
:func:`parse_task_config` validates a raw mapping and reports errors as ``model.units``, not as
pydantic's union branches; :func:`build_task_config` is what each ``<task> train`` command calls.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, TypeVar

import pydantic
from pydantic import field_validator, model_validator

from seqlab.configbase import Strict, read_yaml_mapping
from seqlab.errors import ConfigError, describe_validation

C = TypeVar("C", bound=pydantic.BaseModel)


def _merge(defaults: dict, given: dict) -> dict:
    """``given`` over ``defaults``, recursively for nested mappings; a given None replaces a section."""
    out = dict(defaults)
    for key, value in given.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


class TaskConfig(Strict):
    """A task config whose sections (``train``, ``optimizer``, ...) default to task-specific settings.

    A section given in part (``train: {epochs: 3}``, or ``--epochs 3``) is merged over the task's
    default for that section, not over the section class's own defaults: the text task's early
    stopping and batch size survive ``--epochs 3``.

    ``model`` takes one of the task's ``model_names`` (``"lstm"`` reads as ``{"name": "lstm"}``) or ``auto``.
    """

    model_names: ClassVar[tuple[str, ...]] = ()  # each task sets its models' names

    @field_validator("model", mode="before", check_fields=False)
    @classmethod
    def _model_by_name(cls, value: object) -> object:
        return model_by_name(value, cls.model_names)

    @model_validator(mode="before")
    @classmethod
    def _sections_over_task_defaults(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        for name, field in cls.model_fields.items():
            default = field.default
            if isinstance(default, pydantic.BaseModel) and isinstance(data.get(name), dict):
                data[name] = _merge(default.model_dump(mode="json", exclude_unset=True), data[name])
        return data


def model_by_name(value: object, names: tuple[str, ...]) -> object:
    """A ``model`` field's before-validator: ``"lstm"`` -> ``{"name": "lstm"}``; unknown names and
    keys given to ``auto`` are errors that list the choices."""
    value = {"name": value} if isinstance(value, str) and value != "auto" else value
    if isinstance(value, dict) and value.get("name") == "auto":
        raise ValueError("model 'auto' chooses its candidates' settings itself; name a model to set its keys")
    if isinstance(value, dict) and value.get("name") not in names:
        raise ValueError(f"unknown model {value.get('name')!r}; choose one of {', '.join(names)}, or auto")
    return value


class _ModelBranch:
    """``exc``'s errors as if ``model`` were not a union: a model that is not 'auto' is judged as its
    config class alone, so keys read ``model.units``, not ``model.function-after[...].units``, and
    the 'auto' branch's "Input should be 'auto'" is dropped."""

    def __init__(self, exc: pydantic.ValidationError) -> None:
        self.exc = exc

    def errors(self) -> list[dict]:
        errors = []
        for err in self.exc.errors():
            loc = err["loc"]
            branch = str(loc[1]) if loc[:1] == ("model",) and len(loc) > 1 else ""
            if branch.startswith("literal["):
                continue  # the 'auto' branch
            if branch.startswith("function-after[") or branch[:1].isupper():  # a validator or a class tag
                err = {**err, "loc": ("model", *loc[2:])}
            errors.append(err)
        return errors


def parse_task_config(cls: type[C], raw: dict, source: str) -> C:
    """Validate ``raw`` as ``cls``; errors name ``source`` and the key."""
    try:
        return cls.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise ConfigError(f"{source}: {describe_validation(_ModelBranch(exc))}") from None


def load_task_config(cls: type[C], path: str | Path) -> C:
    """Read a task config YAML (a run directory's ``config.yaml``, say)."""
    path = Path(path)
    raw = read_yaml_mapping(path, ", ".join(cls.model_fields))
    return parse_task_config(cls, raw, str(path))


def build_task_config(cls: type[C], config_file: str | Path | None, overrides: list[str], **options) -> C:
    """A config from an optional YAML file, then the options that are not None, then ``key=value`` overrides.

    ``options`` are ``data`` (the path), ``model``, ``epochs`` and any field of the config's data section.
    """
    from seqlab.tasks.config import apply_override

    raw: dict = {}
    source = "command line"
    if config_file is not None:
        raw = load_task_config(cls, config_file).model_dump(mode="json", exclude_unset=True)
        source = str(config_file)
    data = raw.setdefault("data", {})
    for key, value in options.items():
        if value is None:
            continue
        if key == "data":
            data["path"] = value
        elif key == "model":
            raw["model"] = value
        elif key == "epochs":
            raw.setdefault("train", {})["epochs"] = value
        else:
            data[key] = value
    if "path" not in data:
        raise ConfigError(f"{source}: no data; pass --data PATH_OR_NAME")
    for item in overrides:
        if item.strip().startswith("model.") and isinstance(raw.get("model"), str):
            raw["model"] = {"name": raw["model"]}
        apply_override(raw, item, source)
    return parse_task_config(cls, raw, source)
