"""Stack membership: the named stack plus every installed distribution that requires it, on facts."""

from __future__ import annotations

from envdoctor.probe.deep_probes import deep_modules
from envdoctor.scan.default_scope import default_scope
from envdoctor.vocabulary.stack_membership import joined_members, stack_members
from tests.helpers.facts import SITE, dist, make_facts, module


def _facts(*dists, markers=None, namespace=()):
    names = {top for d in dists for top in d["top_level"]}
    modules = {name: module(name, f"{SITE}/{name}/__init__.py", namespace=name in namespace) for name in names}
    return make_facts(dists=dists, modules=modules, markers=markers)


def test_a_package_that_requires_torch_or_an_uninstalled_triton_is_stack_transitively():
    facts = _facts(
        dist("torch", "2.13.0+cpu"),
        dist("gptq-thing", requires=["torch>=2.6"]),
        dist("kernel-thing", requires=["triton>=3.3"]),  # triton is not installed: still stack
        dist("app", requires=["gptq-thing"]),  # transitively
        dist("requests", requires=["urllib3"]),
        dist("urllib3"),
    )
    assert stack_members(facts) == {"torch", "gptq-thing", "kernel-thing", "app"}
    assert joined_members(facts) == ("app", "gptq-thing", "kernel-thing")
    # Scanned by default, after the named defaults (none here); --deep imports their modules after torch.
    assert default_scope(facts) == ("app", "gptq-thing", "kernel-thing")
    assert deep_modules(facts) == ["torch", "app", "gptq_thing", "kernel_thing"]


def test_near_misses_stay_outside():
    facts = _facts(
        dist("torch", "2.13.0+cpu"),
        # A requirement under a marker false for this target, an extra nobody requests,
        # numpy (not a seed), and a namespace package shared with a member.
        dist("win-only", requires=['torch; sys_platform == "win32"']),
        dist("optional-torch", requires=['torch; extra == "gpu"']),
        dist("pandas", requires=["numpy"]),
        dist("numpy"),
        dist("ns-member", requires=["torch"], top_level=["nvidia"]),
        dist("ns-other", top_level=["nvidia"]),
        namespace=("nvidia",),
    )
    assert stack_members(facts) == {"torch", "ns-member"}
    assert default_scope(facts) == ("ns-member",)


def test_an_extra_counts_when_an_installed_distribution_requests_it():
    facts = _facts(dist("user", requires=["optional-torch[gpu]"]), dist("optional-torch", requires=['torch; extra == "gpu"']))
    assert stack_members(facts) == {"optional-torch", "user"}  # user requires a member


def test_markers_are_the_targets():
    win = dist("win-only", requires=['torch; sys_platform == "win32"'])
    assert stack_members(_facts(win, markers={"sys_platform": "win32"})) == {"win-only"}


def test_a_distribution_providing_part_of_a_members_regular_package_joins_it():
    # flash-linear-attention ships fla.layers and fla.models; fla-core ships fla/__init__.py and
    # fla.ops with torch and triton behind extras: importing fla.layers runs fla-core's code.
    facts = _facts(
        dist("flash-linear-attention", "0.5.2", requires=["fla-core==0.5.2", "transformers>=4.45.0"], top_level=["fla"]),
        dist("fla-core", "0.5.2", requires=["einops", 'torch>=2.7.0; extra == "cuda"'], top_level=["fla"]),
        dist("einops"),
    )
    assert stack_members(facts) == {"flash-linear-attention", "fla-core"}
    # fla-core alone requires nothing of the stack that is in force: not a member.
    alone = _facts(dist("fla-core", "0.5.2", requires=["einops", 'torch>=2.7.0; extra == "cuda"'], top_level=["fla"]), dist("einops"))
    assert stack_members(alone) == frozenset()
    assert default_scope(alone) == ()


def test_named_packages_keep_their_own_scan_decision():
    # accelerate requires torch but is named in stack.py: not scanned by default, as before.
    facts = _facts(dist("torch"), dist("accelerate", requires=["torch"]), dist("sglang", requires=["torch"]))
    assert stack_members(facts) == {"torch", "accelerate", "sglang"}
    assert default_scope(facts) == ("sglang",)
