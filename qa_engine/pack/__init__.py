"""A rule pack as data: `load_pack(path)` reads its rules, tier policy, escalation signals, KPI targets and SLAs once
into a `Pack`, each item with its file and line, importing neither spaCy nor torch.

pack = load_pack("rules/default")
[entry.spec.listing() for entry in pack]  # what `qa rules list` shows
pack.policy, pack.settings.sla_seconds, pack.escalation

Compiling the rules (kinds, phrase matchers) is a step on top: `qa_engine.rules.loader.compile_pack(pack)`.
Names load on first use, so the modules the Pack is built from may import `qa_engine.pack.yamlfile` and
`qa_engine.pack.files` without a cycle.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from qa_engine.lazy import lazy_getattr

_EXPORTS: dict[str, str] = {
    "Pack": "load", "RuleEntry": "load", "load_pack": "load",
    "pack_file": "files", "pack_folder": "files", "pack_path": "files",
    "read_yaml": "yamlfile", "load_model": "yamlfile",
}  # fmt: skip
__all__ = [
    "Pack",
    "RuleEntry",
    "load_model",
    "load_pack",
    "pack_file",
    "pack_folder",
    "pack_path",
    "read_yaml",
]
__getattr__ = lazy_getattr(__name__, _EXPORTS)

if TYPE_CHECKING:
    from qa_engine.pack.files import pack_file, pack_folder, pack_path
    from qa_engine.pack.load import Pack, RuleEntry, load_pack
    from qa_engine.pack.yamlfile import load_model, read_yaml
