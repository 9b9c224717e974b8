"""Native linkage: the stack's extension modules resolved as the dynamic linker would.

    elf_objects.py    one ELF file -> needed, rpath/runpath, undefined and exported symbols (pyelftools)
    object_cache.py   ELF objects read once per (path, size, mtime), kept across runs
    linker_search.py  ld.so's search order: RPATH, LD_LIBRARY_PATH, RUNPATH, ld.so.cache, defaults
    resolution.py     load an extension's tree on paper, list the references that would not bind
    linkage_facts.py  which extensions, in which order (dependencies first) -> the facts section

Like the import scan, this is fact collection on the host (it reads the target's files); the
SYM checks that weigh its results are pure functions of the facts.
"""


def with_native_linkage(facts):
    """The facts with their `native_linkage` section; left as they are (the SYM checks then say
    they were skipped) without the sections it reads, or off Linux: ld.so's rules are Linux's."""
    import dataclasses
    import sys

    if facts.interpreter is None or facts.distributions is None:
        return facts
    if not (sys.platform.startswith("linux") and facts.interpreter.platform.startswith("linux")):
        return facts
    from envdoctor.linkage.linkage_facts import native_linkage

    return dataclasses.replace(facts, native_linkage=native_linkage(facts))
