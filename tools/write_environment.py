"""Write environment.yml from requirements.lock, so conda users get the locked versions.

conda hands the pip section to one pip call, where hash-checking (which the lock uses) cannot
be combined with installing the project itself; so environment.yml lists the same pins without
hashes, plus the project. `make lock` runs this after regenerating the lock; a test checks that
the two agree.

Usage::

    python tools/write_environment.py
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s\\;]+)")


def locked_pins(lock: Path = ROOT / "requirements.lock") -> list[str]:
    """Return ``name==version`` for every package in the lock file, in its order."""
    pins = []
    for line in lock.read_text(encoding="utf-8").splitlines():
        m = PIN.match(line)
        if m and m.group(1).lower() not in ("pip", "setuptools"):
            pins.append(f"{m.group(1)}=={m.group(2)}")
    return pins


def render() -> str:
    lines = [
        "# conda users: conda env create -f environment.yml && conda activate udsatte-analysis",
        "# Generated from requirements.lock by tools/write_environment.py (make lock); do not edit by hand.",
        "name: udsatte-analysis",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
        "  - pip:",
        *[f"      - {pin}" for pin in locked_pins()],
        "      - -e .",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    (ROOT / "environment.yml").write_text(render(), encoding="utf-8")
    print("environment.yml written")
