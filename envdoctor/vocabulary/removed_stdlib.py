"""What new Pythons removed from the standard library, as data: modules and module-level names.

The import scan of installed code (scan/legacy_scan.py) looks for these in every installed
distribution and keeps a use only when the target's own standard library lacks it (read from
the target's files, never from envdoctor's Python); the PYU checks name the release that
removed it and link its What's New page.  Each entry: name -> (removed in, What's New URL).
"""

from typing import Dict, Tuple

_WHATS_NEW = "https://docs.python.org/3/whatsnew/{}.html"


def _removed(version: str, names: str) -> Dict[str, Tuple[str, str]]:
    url = _WHATS_NEW.format(version)
    return {name: (version, url) for name in names.split()}


# Whole modules.  PEP 594 ("dead batteries") and PEP 632 (distutils) removed most of them.
REMOVED_MODULES: Dict[str, Tuple[str, str]] = {
    **_removed("3.11", "binhex"),
    **_removed("3.12", "asynchat asyncore distutils imp smtpd"),
    **_removed("3.13", "aifc audioop cgi cgitb chunk crypt imghdr lib2to3 mailcap msilib nis nntplib "
                       "ossaudiodev pipes sndhdr spwd sunau telnetlib uu xdrlib"),
}

# Module-level names (module.name) that were aliases or deprecated functions.
REMOVED_NAMES: Dict[str, Tuple[str, str]] = {
    # bpo-37324: the ABC aliases of collections, deprecated since 3.3.
    **_removed("3.10", " ".join(
        "collections." + abc for abc in (
            "Awaitable Coroutine AsyncIterable AsyncIterator AsyncGenerator Hashable Iterable Iterator "
            "Generator Reversible Sized Container Callable Collection Set MutableSet Mapping "
            "MutableMapping MappingView KeysView ItemsView ValuesView Sequence MutableSequence ByteString"
        ).split())),
    **_removed("3.11", "inspect.getargspec inspect.formatargspec asyncio.coroutine gettext.lgettext "
                       "gettext.ldgettext gettext.lngettext gettext.ldngettext"),
    **_removed("3.12", "configparser.SafeConfigParser pkgutil.ImpImporter pkgutil.ImpLoader locale.format "
                       "ssl.wrap_socket ssl.match_hostname ssl.RAND_pseudo_bytes importlib.find_loader"),
    # (typing.io and typing.re, also gone in 3.13, are left out: "io" and "re" are in every file.)
    **_removed("3.13", "unittest.findTestCases unittest.makeSuite unittest.getTestCaseNames locale.resetlocale "
                       "re.template"),
}

# The modules whose names are looked up: a file that imports none of them needs no name check.
NAME_MODULES = frozenset(name.rsplit(".", 1)[0] for name in REMOVED_NAMES)

# setuptools 82.0.0 removed pkg_resources (its changelog, pypa/setuptools#3085); 81 warned.
PKG_RESOURCES = "pkg_resources"
PKG_RESOURCES_REMOVED_IN = "82.0.0"
PKG_RESOURCES_REFERENCES = (
    "pypa/setuptools#3085",
    "https://setuptools.pypa.io/en/latest/history.html#v82-0-0",
)
# setuptools' own distutils, served by its `_distutils_hack` finder on sys.meta_path; the
# environment variable picks the stdlib's copy instead ("stdlib") or setuptools' ("local").
DISTUTILS = "distutils"
DISTUTILS_HACK_MODULE = "_distutils_hack"
DISTUTILS_SETTING = "SETUPTOOLS_USE_DISTUTILS"


def removed_in(kind: str, what: str) -> Tuple[str, str]:
    """(release, URL) that removed a module or a name; pkg_resources: setuptools' release."""
    if kind == "module":
        return REMOVED_MODULES.get(what, ("", ""))
    if kind == "name":
        return REMOVED_NAMES.get(what, ("", ""))
    return (PKG_RESOURCES_REMOVED_IN, PKG_RESOURCES_REFERENCES[1])
