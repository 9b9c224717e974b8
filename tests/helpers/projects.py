"""Source projects installed for real, shared by the check and fix tests."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.venvs import Venv

# What fails from the folder holding the checkout, and works anywhere else.
AITERX_IMPORT = "from aiterx import dynamic_per_tensor_quant"


def install_flat_layout_editable(venv: Venv, workspace: Path) -> Path:
    """sgl-project/sglang#22363: `pip install -e` of a flat-layout setuptools project (strict editable
    finder), checked out as workspace/aiterx; returns the project folder."""
    venv.install("setuptools>=70", "wheel")
    project = workspace / "aiterx"
    (project / "aiterx").mkdir(parents=True)
    (project / "aiterx" / "__init__.py").write_text("def dynamic_per_tensor_quant():\n    return 1\n")
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=64"]\nbuild-backend = "setuptools.build_meta"\n'
        '[project]\nname = "aiterx"\nversion = "0.1"\n'
    )
    venv.install_files(extra=["--no-build-isolation", "-e", str(project)])
    return project
