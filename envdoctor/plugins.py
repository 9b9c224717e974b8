"""The one plugin path: find, load and validate the plugins of an entry-point group.

Four groups, every one found and loaded the same way, envdoctor's own plugins through its
own entry points exactly like a third party's (pluggy's and flake8's rule):

    envdoctor.checks     a module (or function) of @check functions -> CheckSpecs (registry.py)
    envdoctor.fixers     a module (or function) of @fixer functions -> FixerSpecs
    envdoctor.rules      a callable returning knowledge-base rule files or Rules -> CheckSpecs
    envdoctor.reporters  a callable `render(context) -> str`, named by its entry point (--format)

Three stages, as flake8 does it: find the entry points (no import), load one (an import
error becomes one PluginError naming the plugin and the distribution that provides it),
validate what it offers (each group's own rule).  Nothing happens at import of this module,
and nothing is loaded that the command does not use.
"""

from __future__ import annotations

import types
from typing import Iterable, Iterator, List, Optional, Tuple

from envdoctor.entry_points import EntryPoint, entry_points
from envdoctor.errors import PluginError

CHECKS_GROUP = "envdoctor.checks"
FIXERS_GROUP = "envdoctor.fixers"
RULES_GROUP = "envdoctor.rules"
REPORTERS_GROUP = "envdoctor.reporters"


def origin(ep: EntryPoint) -> str:
    """How messages name a plugin: its entry point and the distribution that provides it."""
    return f"plugin {ep.name!r} ({ep.value}) of {ep.provider}"


def find(group: str) -> List[EntryPoint]:
    """The group's entry points, in name order (no import)."""
    return sorted(entry_points(group), key=lambda ep: ep.name)


def load(ep: EntryPoint):
    """The object an entry point names; any failure to import it is the plugin's, said as one PluginError."""
    try:
        return ep.load()
    except Exception as exc:  # any import-time failure of a plugin is the plugin's
        raise PluginError(f"{origin(ep)} failed to load: {type(exc).__name__}: {exc}") from exc


def specs_in(obj, attribute: str) -> list:
    """What a loaded check or fixer plugin offers: a module's decorated functions, or one function.

    `attribute` is where the decorator left its spec (checks: api.CHECK_ATTRIBUTE; fixers: theirs).
    """
    if isinstance(obj, types.ModuleType):
        return [getattr(value, attribute) for value in vars(obj).values() if hasattr(value, attribute)]
    if hasattr(obj, attribute):
        return [getattr(obj, attribute)]
    return []


def load_plugins(group: str, attribute: str, what: str, decorator: str,
                 loaded: Optional[Iterable[Tuple[EntryPoint, list]]] = None) -> Iterator[Tuple[EntryPoint, str, list]]:
    """(entry point, its description for messages, the specs it defines) for each decorated-function
    plugin of `group` (checks, fixers), in name order.  A plugin that defines nothing is a PluginError.
    `loaded`: the (entry point, specs) pairs where the caller has them already (the check manifest)."""
    if loaded is None:
        loaded = ((ep, specs_in(load(ep), attribute)) for ep in find(group))
    for ep, specs in loaded:
        if not specs:
            raise PluginError(f"{origin(ep)} defines no {what} (decorate functions with {decorator})")
        yield ep, origin(ep), specs


def load_callables(group: str, what: str) -> Iterator[Tuple[EntryPoint, object]]:
    """(entry point, the callable it names) for each plugin of a group whose plugins are callables
    (rule providers, reporters), in name order."""
    for ep in find(group):
        yield ep, load_callable(ep, what)


def load_callable(ep: EntryPoint, what: str):
    loaded = load(ep)
    if not callable(loaded) or isinstance(loaded, types.ModuleType):
        raise PluginError(f"{origin(ep)} is not a {what}: it names {type(loaded).__name__} {ep.value!r}, not a function")
    return loaded
