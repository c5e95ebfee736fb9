"""Load the matcher as it is on another git revision (default: main), beside the working copy's.

Benchmarks print today's figures next to the branch's in the same run, on the same machine, so
that a change is judged against what it replaces and not against a number measured elsewhere.
"""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _module(name: str, source: str) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__file__ = f"<{name}>"
    sys.modules[name] = module  # dataclasses look their module up while the class is built
    exec(compile(source, module.__file__, "exec"), module.__dict__)  # noqa: S102 (our own git history)
    return module


def load_matcher(ref: str = "main") -> types.ModuleType:
    """`compliance.matcher` (with its `compliance.normalise`) as committed on `ref`."""

    def show(path: str) -> str:
        return subprocess.run(
            ["git", "show", f"{ref}:{path}"], cwd=ROOT, check=True, capture_output=True, text=True
        ).stdout

    tag = "".join(ch if ch.isalnum() else "_" for ch in ref)
    _module(f"baseline_{tag}_normalise", show("compliance/normalise.py"))
    source = show("compliance/matcher.py").replace(
        "from compliance.normalise import", f"from baseline_{tag}_normalise import"
    )
    return _module(f"baseline_{tag}_matcher", source)
