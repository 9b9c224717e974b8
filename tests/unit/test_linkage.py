"""ld.so's search order as linker_search.candidates gives it (ld.so(8)), on ElfObject records."""

from __future__ import annotations

from envdoctor.linkage.elf_objects import ElfObject
from envdoctor.linkage.linker_search import SearchPlaces, candidates

PLACES = SearchPlaces(ld_library_path=("/env/lib",), cache={"libfoo.so.1": ("/usr/lib/x86_64-linux-gnu/libfoo.so.1",)},
                      default_dirs=("/lib64",), lib="lib/x86_64-linux-gnu", platform="x86_64")


def obj(path, rpath=(), runpath=None):
    return ElfObject(path=path, elf_class=64, machine="EM_X86_64", soname=None, needed=(), rpath=tuple(rpath),
                     runpath=tuple(runpath or ()), has_runpath=runpath is not None, undefined=(), exports={},
                     version_definitions=frozenset(), version_needs=())


def order(requester, loaders=(), executable=None, name="libfoo.so.1"):
    return [(path, via.split(" of ")[0]) for path, via in candidates(name, requester, loaders, executable, PLACES)]


def test_rpath_then_loaders_rpath_then_ld_library_path_then_cache_then_defaults():
    loader = obj("/pkg/ext.so", rpath=["$ORIGIN/lib"])
    library = obj("/pkg/lib/libbar.so", rpath=["${ORIGIN}/../deps"])
    assert order(library, [loader]) == [
        ("/pkg/lib/../deps/libfoo.so.1", "DT_RPATH"), ("/pkg/lib/libfoo.so.1", "DT_RPATH"),
        ("/env/lib/libfoo.so.1", "LD_LIBRARY_PATH"), ("/usr/lib/x86_64-linux-gnu/libfoo.so.1", "ld.so.cache"),
        ("/lib64/libfoo.so.1", "default directories")]


def test_runpath_comes_after_ld_library_path_and_turns_off_every_rpath():
    loader = obj("/pkg/ext.so", rpath=["/loader-rpath"])
    library = obj("/pkg/lib/libbar.so", rpath=["/ignored"], runpath=["$ORIGIN/$LIB/$PLATFORM"])
    assert order(library, [loader]) == [
        ("/env/lib/libfoo.so.1", "LD_LIBRARY_PATH"), ("/pkg/lib/lib/x86_64-linux-gnu/x86_64/libfoo.so.1", "DT_RUNPATH"),
        ("/usr/lib/x86_64-linux-gnu/libfoo.so.1", "ld.so.cache"), ("/lib64/libfoo.so.1", "default directories")]


def test_runpath_of_a_loader_is_not_applied_to_its_dependencies():
    loader = obj("/pkg/ext.so", runpath=["/pkg/only-for-ext"])
    library = obj("/pkg/lib/libbar.so")
    assert ("/pkg/only-for-ext/libfoo.so.1", "DT_RUNPATH") not in order(library, [loader])


def test_executable_rpath_is_searched_last_among_rpaths():
    executable = obj("/usr/bin/python3", rpath=["/opt/py/lib"])
    assert order(obj("/pkg/ext.so", rpath=["/own"]), (), executable)[:2] == [("/own/libfoo.so.1", "DT_RPATH"),
                                                                           ("/opt/py/lib/libfoo.so.1", "DT_RPATH")]


def test_a_name_with_a_slash_is_a_path_not_searched():
    assert order(obj("/pkg/ext.so"), name="$ORIGIN/libs/libfoo.so") == [("/pkg/libs/libfoo.so", "path in DT_NEEDED")]


def test_versioned_reference_binds_as_glibc_does():
    versioned = ElfObject(path="/l.so", elf_class=64, machine="EM_X86_64", soname="l.so", needed=(), rpath=(), runpath=(),
                          has_runpath=False, undefined=(), exports={"old": frozenset({"*"}), "new": frozenset({"FOO_2"})},
                          version_definitions=frozenset({"FOO_1", "FOO_2"}), version_needs=())
    assert versioned.defines("new", "FOO_2") and versioned.defines("new", None)
    assert not versioned.defines("new", "FOO_3") and not versioned.defines("absent", None)
    assert versioned.defines("old", "FOO_9")  # a definition at version index 0-2 answers any version
    unversioned = obj("/u.so")
    unversioned.exports["sym"] = frozenset({"*"})
    assert unversioned.defines("sym", "ANY_1")  # a library without version definitions: any version
