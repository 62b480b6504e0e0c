"""Compare Danish municipal udsattepolitikker: from a corpus of policy documents to evidence.

The sub-packages follow the flow of the data; each imports only those before it::

    base -> corpus -> nlp -> themes -> compare -> publish      (pipeline.py runs them in order)

Usage::

    from analysis import prepare, views
    results = prepare("corpus", "outputs")  # fresh tables (the main job runs only if needed), loaded
    views.show_table(results.documents)

    from analysis import run_pipeline
    result = run_pipeline("corpus", "outputs")  # the main job, always
"""

from analysis.base.version import SCHEMA, __version__, program_version

#: Names a notebook imports from ``analysis`` itself, and where they live. They load on first
#: use, so ``import analysis`` stays light.
_LAZY = {"prepare": ("analysis.pipeline", "prepare"), "run_pipeline": ("analysis.pipeline", "run_pipeline"),
         "ensure_tables": ("analysis.pipeline", "ensure_tables"), "i18n": ("analysis.publish.i18n", None),
         "plots": ("analysis.publish.plots", None), "views": ("analysis.publish.views", None)}

__all__ = ["SCHEMA", "__version__", "program_version", *_LAZY]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'analysis' has no attribute {name!r}")
    import importlib

    module, attribute = _LAZY[name]
    value = importlib.import_module(module)
    return getattr(value, attribute) if attribute else value
