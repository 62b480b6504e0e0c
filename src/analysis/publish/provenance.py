"""Where a report came from: the project's commit and the versions of the packages it ran on.

Usage::

    from analysis.publish.provenance import git_commit, versions
    git_commit()  # "8627f5e", or "8627f5e (with uncommitted changes)"
"""

from __future__ import annotations

import importlib.metadata as md
import subprocess
import sys

from analysis.base.paths import PROJECT_ROOT

PACKAGES = ("spacy", "spacy-lookups-data", "pandas", "numpy", "scikit-learn", "matplotlib", "papermill", "nbconvert",
            "jupyterlab")

#: Appended to the commit when the working tree has uncommitted changes (the front page words it).
DIRTY = " (with uncommitted changes)"


def git_commit() -> str:
    """The project's commit, with :data:`DIRTY` when the working tree has changes; "unknown" outside git."""
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=PROJECT_ROOT, capture_output=True,
                              text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=PROJECT_ROOT,
                               capture_output=True, text=True, timeout=10)
        if done.returncode == 0:
            return done.stdout.strip() + (DIRTY if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return "unknown"


def versions() -> dict[str, str]:
    """The versions of Python and of the :data:`PACKAGES` a report depends on."""
    found = {"python": sys.version.split()[0]}
    for name in PACKAGES:
        try:
            found[name] = md.version(name)
        except md.PackageNotFoundError:
            found[name] = "not installed"
    return found
