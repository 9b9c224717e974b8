"""One ELF shared object as the dynamic linker sees it: what it needs, where it looks, what it exports.

pyelftools (a maintained ELF library) reads the structure: the header, the dynamic section
(DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH) and the GNU version sections.  The rows of
`.dynsym` are decoded in bulk with `struct` from the section bytes pyelftools hands over:
pyelftools builds one Python object per symbol, 4.4 s for libtorch_cpu.so's 75,000 symbols,
against ~0.1 s here (measured 2026-11-30), and a check that costs seconds per library would
not be run.  pyelftools is imported on first use, so `envdoctor` starts no slower for it.
"""

from __future__ import annotations

import struct
from typing import Dict, FrozenSet, Optional, Tuple

from envdoctor.model.record import Record, record

# Symbol table bindings and the special section index (ELF gABI).
_GLOBAL, _WEAK, _GNU_UNIQUE = 1, 2, 10
_UNDEFINED = 0
_VISIBLE = (0, 3)  # STV_DEFAULT, STV_PROTECTED: hidden and internal symbols are not exported
_HIDDEN_VERSION = 0x8000  # versym bit: a non-default version (name@VER, not name@@VER)
_WEAK_VERSION_NEED = 0x2  # VER_FLG_WEAK on a version need: its absence is not fatal
_BASE_VERSION = 0x1  # VER_FLG_BASE: the version definition that names the file itself
# A definition at versym index 0-2 (local, global, the first defined version) binds a reference
# of any version: glibc's check_match skips another version only from index 3 on.
ANY_VERSION = "*"
_LAST_ANY_VERSION_INDEX = 2


@record
class UndefinedSymbol(Record):
    name: str
    version: Optional[str] = None  # GLIBC_2.34, from the version need
    version_file: Optional[str] = None  # the soname that version need names (libc.so.6)


@record
class ElfObject(Record):
    """What ld.so reads of one file.  `exports` maps a name to the versions it is defined with
    ("" for an unversioned definition); `undefined` lists the strong (non-weak) references."""

    path: str
    elf_class: int  # 32 or 64
    machine: str  # EM_X86_64, EM_AARCH64: ld.so skips a file built for another
    soname: Optional[str]
    needed: Tuple[str, ...]
    rpath: Tuple[str, ...]
    runpath: Tuple[str, ...]
    has_runpath: bool
    undefined: Tuple[UndefinedSymbol, ...]
    exports: Dict[str, FrozenSet[str]]
    version_definitions: FrozenSet[str]
    # (soname, version) pairs the file requires, without the weak ones.
    version_needs: Tuple[Tuple[str, str], ...]

    def defines(self, name: str, version: Optional[str]) -> bool:
        """Whether a reference to `name` (at `version`, when given) binds to this object."""
        versions = self.exports.get(name)
        if versions is None:
            return False
        # An unversioned reference takes any definition; a library without version
        # definitions satisfies any version (ld.so only warns that it has none); and glibc's
        # lookup lets a definition at version index 0-2 answer any versioned reference.
        return not version or not self.version_definitions or version in versions or ANY_VERSION in versions


class NotElf(Exception):
    """The file is not an ELF shared object pyelftools can read (the reason is the message)."""


def read_elf(path: str) -> ElfObject:
    """Read `path`; NotElf when it is not a readable ELF file."""
    from elftools.common.exceptions import ELFError
    from elftools.elf.elffile import ELFFile

    try:
        with open(path, "rb") as handle:
            elf = ELFFile(handle)
            return _elf_object(path, elf)
    except (OSError, ELFError, struct.error, ValueError, IndexError) as exc:  # IndexError: a link to no section
        raise NotElf(f"{path}: {exc}") from None


def _elf_object(path: str, elf) -> ElfObject:
    sections = _sections(elf)
    tags = _dynamic_tags(sections)
    needs, need_versions = _version_needs(sections)
    definitions, defined_versions = _version_definitions(sections)
    undefined, exports = _symbols(elf, sections, need_versions, defined_versions)
    return ElfObject(
        path=path, elf_class=elf.elfclass, machine=elf["e_machine"],
        soname=(tags.get("DT_SONAME") or [None])[0], needed=tuple(tags.get("DT_NEEDED", ())),
        rpath=_split_path(tags.get("DT_RPATH")), runpath=_split_path(tags.get("DT_RUNPATH")),
        has_runpath="DT_RUNPATH" in tags, undefined=undefined, exports=exports,
        version_definitions=definitions, version_needs=needs,
    )


def _sections(elf) -> list:
    """The file's sections, made once: pyelftools makes a section anew on every pass over them,
    and making the GNU hash section parses its whole table (333,000 reads for torch's libraries,
    on each of the five passes this module made before)."""
    return list(elf.iter_sections())


def _dynamic_tags(sections) -> Dict[str, list]:
    # The last section of that name, as pyelftools' get_section_by_name answers (its name map).
    section = next((s for s in reversed(sections) if s.name == ".dynamic"), None)
    tags: Dict[str, list] = {}
    if section is None:
        return tags
    for tag in section.iter_tags():
        kind = tag.entry.d_tag
        value = {"DT_NEEDED": "needed", "DT_SONAME": "soname", "DT_RPATH": "rpath", "DT_RUNPATH": "runpath"}.get(kind)
        if value is not None:
            tags.setdefault(kind, []).append(getattr(tag, value))
    return tags


def _split_path(values) -> Tuple[str, ...]:
    return tuple(part for value in values or () for part in value.split(":") if part)


def _version_needs(sections):
    """((soname, version) pairs required, not weak), {versym index: (version, soname)}."""
    needs, by_index = [], {}
    for section in sections:
        if section["sh_type"] != "SHT_GNU_verneed":
            continue
        for need, auxiliaries in section.iter_versions():
            for aux in auxiliaries:
                by_index[aux["vna_other"]] = (aux.name, need.name)
                if not aux["vna_flags"] & _WEAK_VERSION_NEED:
                    needs.append((need.name, aux.name))
    return tuple(needs), by_index


def _version_definitions(sections):
    """(the version names defined, the file's own base name left out), {versym index: name}."""
    names, by_index = set(), {}
    for section in sections:
        if section["sh_type"] != "SHT_GNU_verdef":
            continue
        for definition, auxiliaries in section.iter_versions():
            name = next(iter(auxiliaries)).name
            by_index[definition["vd_ndx"]] = name
            if not definition["vd_flags"] & _BASE_VERSION:
                names.add(name)
    return frozenset(names), by_index


def _symbols(elf, sections, need_versions, defined_versions):
    table = next((s for s in sections if s["sh_type"] == "SHT_DYNSYM"), None)
    if table is None:
        return (), {}
    strings = sections[table["sh_link"]].data()
    versym = next((s for s in sections if s["sh_type"] == "SHT_GNU_versym"), None)
    order = "<" if elf.little_endian else ">"
    indexes = [row[0] for row in struct.iter_unpack(order + "H", versym.data())] if versym is not None else None
    layout = order + ("IBBHQQ" if elf.elfclass == 64 else "IIIBBH")
    undefined, exports = [], {}
    for position, row in enumerate(struct.iter_unpack(layout, table.data())):
        name_at, info, other, shndx = (row[0], row[1], row[2], row[3]) if elf.elfclass == 64 else (row[0], row[3], row[4], row[5])
        bind = info >> 4
        if not name_at or bind not in (_GLOBAL, _WEAK, _GNU_UNIQUE):
            continue
        name = strings[name_at:strings.index(b"\0", name_at)].decode("utf-8", "replace")
        index = indexes[position] if indexes is not None and position < len(indexes) else 1
        if shndx == _UNDEFINED:
            if bind != _WEAK:  # a weak reference left unresolved is simply null
                version, soname = need_versions.get(index & ~_HIDDEN_VERSION, (None, None))
                undefined.append(UndefinedSymbol(name=name, version=version, version_file=soname))
        elif other & 3 in _VISIBLE:
            index &= ~_HIDDEN_VERSION
            version = ANY_VERSION if index <= _LAST_ANY_VERSION_INDEX else defined_versions.get(index, ANY_VERSION)
            exports[name] = exports.get(name, frozenset()) | {version}
    return tuple(undefined), exports
