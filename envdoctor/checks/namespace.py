"""Namespace masquerade: an installed package that imports as an empty namespace package."""

from __future__ import annotations

from typing import Iterator

from envdoctor.api import check, report
from envdoctor.checks._resolution import expectations, resolves_as_expected
from envdoctor.model.facts import Facts
from envdoctor.model.finding import FixProposal, Location, Severity
from envdoctor.vocabulary.labels import describe_entry
from envdoctor.model.plan import InstallRequest


@check(
    code="NSP001",
    name="namespace-masquerade",
    summary="An installed package resolves as a namespace package, so its names cannot be imported.",
    needs=("distributions", "modules", "sys_path", "import_system", "pth_files"),
    fix="reinstall",
)
def namespace_masquerade(facts: Facts) -> Iterator:
    """Find installed regular packages that resolve as an empty namespace package.

    What it detects
        A distribution that provides a regular package (with `__init__.py`), while
        `importlib.util.find_spec` returns a namespace package built from same-named folders
        without `__init__.py`. The classic cause: setuptools' editable install of a flat-layout
        project serves the package through a `sys.meta_path` finder appended after the normal
        path finder, and a folder with the project's name in the working directory (the git
        checkout itself) wins as a namespace portion.

    Why it breaks
        `import pkg` succeeds but gives an empty module, so
        `from pkg import x` fails with "cannot import name 'x' from 'pkg' (unknown location)";
        the same command works from any other directory, which makes it look random.

        Severity: always an error: `from pkg import name` fails for the resolved package
        whenever Python starts with this sys.path (for a folder in the working directory:
        when run from there).

    Example
        `aiter` resolves as a namespace package (/sgl-workspace/aiter) instead of the editable install of amd-aiter 0.1

    Fix
        Reinstall the editable project in compat mode, which puts its folder on sys.path through a
        `.pth` path line that a regular package always wins with:
        `python -m pip install --config-settings editable_mode=compat -e <source>`. Or run from
        another directory, or rename the same-named folder.

    References
        sgl-project/sglang#22363
        https://setuptools.pypa.io/en/latest/userguide/development_mode.html
    """
    for expect, resolution in expectations(facts):
        if not expect.regular or not resolution.namespace or resolves_as_expected(expect, resolution):
            continue
        module = expect.module
        locations = ", ".join(resolution.locations) or "no location"
        portions = [c for c in resolution.candidates if c.kind == "namespace-portion"]
        evidence = [f"find_spec({module!r}) -> namespace package, locations: {locations}"]
        evidence += [f"portion: {c.path} (no __init__.py; {describe_entry(facts.sys_path_entry(c.path_index))})" for c in portions]
        evidence.append(f"expected: {expect.roots[0]} ({expect.how} of {expect.dist.display})")
        if expect.how == "editable finder":
            meta = facts.import_system.meta_path if facts.import_system else ()
            order = [f"{i}:{f.class_name}" for i, f in enumerate(meta)]
            evidence.append(
                "sys.meta_path order: " + ", ".join(order) + " (PathFinder answers with the namespace before the editable finder is asked)"
            )
        fix = FixProposal("manual", f"rename the folder {portions[0].path if portions else locations} or run from another directory")
        source = expect.dist.source_dir
        if expect.dist.editable and source:
            fix = FixProposal(
                "reinstall",
                f"reinstall {expect.dist.name} from {source} with editable_mode=compat",
                install=InstallRequest((source,), editable=True, config_settings=("editable_mode=compat",)),
            )
        first_portion = portions[0].path if portions else None
        yield report(
            Severity.ERROR,
            f"`{module}` resolves as a namespace package ({locations}) instead of "
            f"{'the editable install of ' if expect.dist.editable else ''}{expect.dist.display}",
            subject=module,
            message=(
                f"`import {module}` gives an empty namespace package, so `from {module} import <name>` fails with "
                f"\"cannot import name ... from '{module}' (unknown location)\" when run from here."
            ),
            evidence=evidence,
            location=Location(path=first_portion, distribution=expect.dist.name, module=module),
            references=("sgl-project/sglang#22363",),
            fix=fix,
        )
