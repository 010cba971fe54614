"""The model registry: which model serves sentiment and emotion for which language (`models/registry.yaml`).

A model is the embedded default or any Hugging Face model id / local folder. Users override entries from the CLI
(`--model sentiment=ID`, `--model emotion:ja=PATH`) or from Python (`overrides={...}`) without editing the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from qa_engine import paths
from qa_engine.errors import QAError

TASKS = ("sentiment", "emotion")
Precision = Literal["auto", "fp32", "bf16"]
PRECISIONS: tuple[str, ...] = get_args(Precision)


class ModelSpec(BaseModel):
    """One model: where it comes from and how its labels map to ours."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["embedded", "huggingface"]
    path: str | None = None  # embedded: weights folder (relative to the registry file)
    id: str | None = None  # huggingface: hub id or local folder
    quantize: Literal["int8", "none"] = "none"
    # bf16 halves the model pass on CPUs with native bf16 (AVX512-BF16, AMX); `auto` picks it only there
    precision: Precision = "fp32"
    label_map: dict[str, str] | None = None
    max_length: int = Field(default=256, ge=8, le=4096)
    revision: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.path or self.id}:{self.quantize}:{self.precision}"


class TaskSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    default: str
    languages: dict[str, str] = Field(default_factory=dict)


class Registry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    models: dict[str, ModelSpec]
    tasks: dict[str, TaskSpec]
    base: Path = Path(".")

    def resolve(self, task: str, language: str | None) -> ModelSpec:
        """The model for a task and language (falls back to the task's default)."""
        if task not in self.tasks:
            raise QAError("Q201", task=task, file=self.base / "registry.yaml", known=", ".join(TASKS))
        spec = self.tasks[task]
        name = spec.languages.get(language or "", spec.default)
        model = self.models[name].model_copy()
        if model.kind == "embedded" and model.path and not Path(model.path).is_absolute():
            model.path = str((self.base / model.path).resolve())
        return model

    def with_overrides(self, overrides: dict[str, str] | None) -> Registry:
        """Apply `{"sentiment": ID, "emotion:ja": PATH, ...}`: an id or folder becomes a huggingface model;
        the names `embedded` or another registry entry pick that entry."""
        if not overrides:
            return self
        reg = self.model_copy(deep=True)
        for target, value in overrides.items():
            task, _, language = target.partition(":")
            if task not in reg.tasks:
                raise QAError("Q201", task=task, file=self.base / "registry.yaml", known=", ".join(TASKS))
            if value not in reg.models:
                reg.models[value] = ModelSpec(kind="huggingface", id=value)
            if language:
                reg.tasks[task].languages[language] = value
            else:
                reg.tasks[task].default = value
                reg.tasks[task].languages = {}
        return reg


def parse_overrides(items: list[str] | None) -> dict[str, str]:
    """CLI `TASK[:LANG]=MODEL` strings to a dict; a malformed one is a one-line error."""
    out: dict[str, str] = {}
    for item in items or []:
        target, sep, value = item.partition("=")
        if not sep or not value or target.split(":")[0] not in TASKS:
            raise QAError(
                "Q204",
                file="--model",
                field=item,
                detail="use TASK[:LANG]=MODEL, TASK one of " + ", ".join(TASKS),
            )
        out[target] = value
    return out


def load_registry(path: str | Path | None = None, overrides: dict[str, str] | None = None) -> Registry:
    """Read and validate the registry file (default `models/registry.yaml`)."""
    file = Path(path) if path else paths.models_dir() / "registry.yaml"
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise QAError("Q204", file=file, field="-", detail=str(exc).splitlines()[0]) from exc
    try:
        reg = Registry(**(raw or {}), base=file.parent)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise QAError("Q204", file=file, field=".".join(map(str, err["loc"])), detail=err["msg"]) from exc
    for task, spec in reg.tasks.items():
        if task not in TASKS:
            raise QAError("Q201", task=task, file=file, known=", ".join(TASKS))
        for name in [spec.default, *spec.languages.values()]:
            if name not in reg.models:
                raise QAError("Q204", file=file, field=f"tasks.{task}", detail=f"unknown model '{name}'")
    return reg.with_overrides(overrides)
