"""FlashInfer: its companion packages and the versions its consumers pin."""

from __future__ import annotations

from typing import Iterator

from envdoctor.api import check, report
from envdoctor.checks.requirements import pin_fields, spec_text
from envdoctor.model.facts import Facts
from envdoctor.model.finding import FixProposal, Location, Severity
from envdoctor.vocabulary.installed import installed, torch_build
from envdoctor.vocabulary.requirements_in_force import unmet_requirements
from envdoctor.vocabulary.stack import ENGINES, FLASHINFER_COMPANIONS, FLASHINFER_DISTRIBUTIONS, FLASHINFER_JIT_CACHE, FLASHINFER_PYTHON
from envdoctor.vocabulary.versions import parse_version, public
from envdoctor.model.plan import InstallRequest

JIT_CACHE_INDEX = "https://flashinfer.ai/whl/{tag}"


@check(
    code="FLI001",
    name="flashinfer-companions",
    summary="flashinfer-cubin or flashinfer-jit-cache is not the version of flashinfer-python (or not for torch's CUDA).",
    needs=("distributions",),
    fix="reinstall",
)
def flashinfer_companions(facts: Facts) -> Iterator:
    """Align flashinfer-cubin and flashinfer-jit-cache with flashinfer-python.

    What it detects
        `flashinfer-cubin` or `flashinfer-jit-cache` installed at a release other than
        `flashinfer-python`'s, or a `flashinfer-jit-cache` built for another CUDA version
        (`+cu129`) than torch's (`+cu130`).

    Why it breaks
        flashinfer-python looks its precompiled kernels up by name and signature in the cubin
        and JIT-cache packages of its own release. With another release the lookup misses or,
        worse, loads a kernel with a different argument layout: errors like "cubin not found",
        silent fallbacks to slow JIT builds at server start, or crashes inside attention
        kernels. The packages come from different indexes, so upgrading one alone is easy.

        Severity: always an error: flashinfer-python looks up the kernels of its own
        release, so attention kernels of the workload fail, crash or fall back to a JIT
        build that a runtime-only image cannot do.

    Example
        flashinfer-cubin 0.6.8 is installed with flashinfer-python 0.6.11.post1

    Fix
        Install the companions at flashinfer-python's version, the JIT cache from FlashInfer's
        index for torch's CUDA (`pip install flashinfer-jit-cache==0.6.11.post1 --index-url
        https://flashinfer.ai/whl/cu130`); the reinstall fixer does it.

    References
        https://docs.flashinfer.ai/installation.html
        sgl-project/sglang#25335
    """
    main = installed(facts, FLASHINFER_PYTHON)
    if main is None or not main.version:
        return
    wanted = public(main.version)
    build = torch_build(facts)
    torch_tag = build.local if build and build.local and build.local.startswith("cu") else None
    for name in FLASHINFER_COMPANIONS:
        dist = installed(facts, name)
        if dist is None or not dist.version:
            continue
        problems = []
        if parse_version(public(dist.version)) != parse_version(wanted):
            problems.append(f"release {public(dist.version)}, flashinfer-python is {wanted}")
        local = dist.version.split("+", 1)[1] if "+" in dist.version else None
        if name == FLASHINFER_JIT_CACHE and local and torch_tag and local != torch_tag:
            problems.append(f"built for {local}, torch is {torch_tag}")
        if not problems:
            continue
        tag = torch_tag or local
        requirement = f"{name}=={wanted}"
        index = JIT_CACHE_INDEX.format(tag=tag) if name == FLASHINFER_JIT_CACHE and tag else None
        yield report(
            Severity.ERROR,
            f"{dist.display} does not match flashinfer-python {main.version}: {'; '.join(problems)}",
            subject=name,
            key=f"{dist.canonical_name}->flashinfer-python",
            message=(
                "flashinfer-python loads the precompiled kernels of its own release from this package; another "
                "release misses them (slow JIT builds at start-up, 'not found' errors) or loads kernels with "
                "another argument layout."
            ),
            evidence=(f"{dist.display}: {dist.metadata_path}", f"{main.display}: {main.metadata_path}")
            + ((f"torch {build.version}",) if build else ()),
            location=Location(path=dist.metadata_path, distribution=name),
            references=("https://docs.flashinfer.ai/installation.html", "sgl-project/sglang#25335"),
            fix=FixProposal("reinstall", f"install {requirement}", install=InstallRequest((requirement,), index_url=index)),
        )


@check(
    code="FLI002",
    name="flashinfer-consumer-pin",
    summary="SGLang or vLLM pins a FlashInfer version other than the installed one.",
    needs=("distributions", "markers"),
    fix="reinstall",
)
def flashinfer_consumer_pin(facts: Facts) -> Iterator:
    """Compare the FlashInfer version SGLang or vLLM declares with the installed one.

    What it detects
        An installed `sglang` or `vllm` whose Requires-Dist on `flashinfer-python` (or
        `flashinfer`) is in force and excludes the installed FlashInfer, or names one that is
        not installed.

    Why it breaks
        Serving frameworks call FlashInfer's internal APIs, which change between releases:
        arguments are added (FlashInfer 0.6.10 made the allreduce-fusion workspace take the
        process group, and SGLang versions that do not pass it hang in TP/EP subgroups), and
        modules move. The mismatch surfaces as a TypeError at the first request or as a hang.

        Severity: always an error: a requirement that pip enforces is unmet, and the serving
        framework calls FlashInfer's changed internals at its first request.

    Example
        sglang 0.5.23 pins flashinfer_python==0.6.11.post1, but flashinfer-python 0.6.8 is installed

    Fix
        Install the pinned version together with its companions
        (`python -m pip install flashinfer-python==0.6.11.post1`, then FLI001's fix).

    References
        sgl-project/sglang#25335
        https://docs.flashinfer.ai/installation.html
    """
    for item, provider in unmet_requirements(facts):
        if item.requirer.canonical_name not in ENGINES or item.parsed.key not in FLASHINFER_DISTRIBUTIONS:
            continue
        wanted = spec_text(item.requirement)
        have = f"{provider.display} is installed" if provider else "it is not installed"
        yield report(
            Severity.ERROR,
            f"{item.requirer.display} pins {wanted}, but {have}",
            subject=item.requirer.name,
            message=(
                f"{item.requirer.name} calls FlashInfer internals that change between releases; with another "
                "FlashInfer expect TypeErrors at the first request, missing modules, or hangs in collective "
                "kernels (FlashInfer >= 0.6.10 needs the process group passed to its allreduce fusion)."
            ),
            references=("sgl-project/sglang#25335",),
            **pin_fields(facts, item, provider),
        )
