"""envdoctor: a doctor for Python ML/GPU environments.

From Python: `envdoctor.check(python=None, deep=False, ...)` returns a Report (python_api.py).
It is loaded on first use, so that `import envdoctor` (and `envdoctor --version`) stays as fast
as reading this file.
"""

__version__ = "0.1.0"

# Where envdoctor's documentation lives (docs/ of the repository); reports link each
# check to DOCS_URL/checks/CODE.md.
PROJECT_URL = "https://github.com/envdoctor/envdoctor"
DOCS_URL = PROJECT_URL + "/blob/main/docs"

__all__ = ["check", "Report", "__version__"]


def __getattr__(name):
    # PEP 562: envdoctor.check and envdoctor.Report import the engine only when first asked for.
    # By name, not an import statement: every layer imports this package for __version__, and
    # the package must not depend on the command-line layer (tests/unit/test_layers.py); the
    # facade is resolved at attribute access, long after every import finished.
    if name in ("check", "Report"):
        import importlib

        return getattr(importlib.import_module("envdoctor.python_api"), name)
    raise AttributeError(f"module 'envdoctor' has no attribute {name!r}")
