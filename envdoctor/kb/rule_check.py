"""One check per knowledge-base rule: does the rule match the facts, and the finding it reports.

Rules are data that rule providers (the `envdoctor.rules` entry-point group) hand to the
registry; the registry turns each into a CheckSpec here, so `--select KB004`,
`envdoctor explain KB004` and the generated docs/checks/KB004.md work for rules exactly as
for code.  Nothing is registered at import: the registry calls rule_spec() for the rules it
was given.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Iterator, List, Optional

from envdoctor.api import CheckSpec, report
from envdoctor.kb import Rule, rule_doc
from envdoctor.model.facts import Facts
from envdoctor.model.finding import FixProposal, Location, Severity
from envdoctor.model.plan import InstallRequest
from envdoctor.vocabulary.installed import installed, torch_build, torch_variant
from envdoctor.vocabulary.requires_dist import parse_requirement, parsed_requirements
from envdoctor.vocabulary.versions import satisfies

STACK_KEYS = ("torch_build", "torch_cuda", "gpu_capability", "cuda_toolkit", "package_files_absent")


def _pinned(facts: Facts, requirer: str, dependency: str) -> Optional[str]:
    """The version `requirer` pins `dependency` to with ==, if it does."""
    dist = installed(facts, requirer)
    if dist is None:
        return None
    wanted = parse_requirement(dependency)
    for item in parsed_requirements(dist)[0]:
        if wanted and item.key == wanted.key:
            for spec in item.requirement.specifier:
                if spec.operator in ("==", "==="):
                    return spec.version
    return None


def matches(rule: Rule, facts: Facts) -> Optional[List[str]]:
    """The evidence lines when every condition of the rule holds, else None."""
    match, evidence = rule.match, []
    if "unless_shim" in match and facts.import_system is not None and facts.import_system.has_shim(match["unless_shim"]):
        return None  # the shim that works around it is active in the target
    for name, spec in (match.get("distributions") or {}).items():
        dist = installed(facts, name)
        if dist is None or (spec and not satisfies(dist.version, spec)):
            return None
        evidence.append(f"{dist.display} ({dist.metadata_path})")
    for name in match.get("distributions_absent") or ():
        if installed(facts, name) is not None:
            return None
        evidence.append(f"{name} is not installed")
    for requirer, pins in (match.get("pins") or {}).items():
        for dependency, spec in pins.items():
            pinned = _pinned(facts, requirer, dependency)
            if pinned is None or not satisfies(pinned, spec):
                return None
            evidence.append(f"{requirer} pins {dependency}=={pinned}")
    markers = facts.markers or {}
    if "python" in match:
        if not satisfies(markers.get("python_full_version"), match["python"]):
            return None
        evidence.append(f"Python {markers.get('python_full_version')}")
    if "platform" in match and not any(markers.get("sys_platform", "").startswith(p) for p in match["platform"]):
        return None
    if any(key in match for key in STACK_KEYS) and facts.stack is None:
        return None
    build = torch_build(facts)
    if "torch_build" in match and (build is None or torch_variant(build) not in match["torch_build"]):
        return None
    if "torch_cuda" in match:
        if build is None or not build.cuda or not satisfies(build.cuda, match["torch_cuda"]):
            return None
        evidence.append(f"torch {build.version} is built for CUDA {build.cuda} ({build.source})")
    if "gpu_capability" in match:
        gpus = [g for g in facts.stack.nvidia_gpus if g.capability and satisfies(g.capability, match["gpu_capability"])]
        if not gpus:
            return None
        evidence += [f"GPU {g.index}: {g.name}, capability {g.capability}" for g in gpus]
    if "cuda_toolkit" in match:
        toolkit = facts.stack.cuda_toolkit
        present = toolkit is not None and toolkit.version is not None
        if present != (match["cuda_toolkit"] == "present"):
            return None
        evidence.append(f"CUDA toolkit: {toolkit.home} {toolkit.version} ({toolkit.source})" if present else "no CUDA toolkit (CUDA_HOME unset, no /usr/local/cuda)")
    for package, files in (match.get("package_files_absent") or {}).items():
        listed = facts.stack.package_files.get(package)
        if listed is None or any(f in listed for f in files):
            return None
        evidence.append(f"{package} has no {', '.join(files)}")
    env = facts.interpreter.environment if facts.interpreter else {}
    for variable, value in (match.get("environment") or {}).items():
        if env.get(variable) != value:
            return None
        evidence.append(f"{variable}={value}")
    return evidence


def _values(facts: Facts) -> dict:
    values = defaultdict(lambda: "?")
    for dist in facts.active_distributions().values():
        values[dist.canonical_name] = dist.display
        values[dist.name] = dist.display
    values["python"] = f"Python {(facts.markers or {}).get('python_full_version', '?')}"
    build = torch_build(facts) if facts.distributions is not None else None
    if build is not None:
        values["torch_cuda"] = f"CUDA {build.cuda}" if build.cuda else "no CUDA"
    gpus = facts.stack.nvidia_gpus if facts.stack else ()
    if gpus:
        values["gpu"] = f"{gpus[0].name} (capability {gpus[0].capability})"
    return values


def _fix(rule: Rule) -> Optional[FixProposal]:
    fix = rule.fix
    if not fix:
        return None
    kind = fix.get("kind", "manual")
    parameters = install = None
    if kind == "reinstall" and fix.get("requirement"):
        parameters = {"requirement": fix["requirement"], "fixer": "install-requirement"}
        # A rule's own `command` is shown as written; without one, the install is rendered
        # for the target's installer.
        install = None if fix.get("command") else InstallRequest((fix["requirement"],))
    elif fix.get("fixer"):
        parameters = {"fixer": fix["fixer"]}  # one of envdoctor's fixers, by name
    return FixProposal(kind, fix.get("summary", ""), safe=kind in ("reinstall", "manual"), command=fix.get("command"),
                       parameters=parameters, install=install)


def rule_spec(rule: Rule) -> CheckSpec:
    """The CheckSpec of one rule: what @check would have made of a function written for it."""
    needs = ["distributions", "markers"]
    if any(key in rule.match for key in STACK_KEYS):
        needs.append("stack")
    if "environment" in rule.match:
        needs.append("interpreter")

    def evaluate(facts: Facts) -> Iterator:
        evidence = matches(rule, facts)
        if evidence is None:
            return
        subject = next(iter(rule.match.get("distributions") or rule.match.get("pins") or {"environment": 0}))
        yield report(
            Severity(rule.severity),
            rule.title.format_map(_values(facts)),
            subject=subject,
            message=" ".join(rule.explanation.split()),
            evidence=evidence,
            location=Location(distribution=subject) if installed(facts, subject) else None,
            references=rule.references,
            fix=_fix(rule),
        )

    evaluate.__name__ = f"rule_{rule.code}"
    evaluate.__doc__ = rule_doc(rule)
    return CheckSpec(code=rule.code, name=rule.name, summary=rule.summary, needs=tuple(needs), function=evaluate,
                     fix=(rule.fix.get("kind", "manual") if rule.fix else None))
