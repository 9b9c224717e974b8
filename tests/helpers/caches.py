"""The requirement parsers' per-text caches, cleared for tests that must see the code's answer now.

The parsers cache per text, and a cached answer would hide what the code computes: mutmut forks
each mutant from a process that already ran the tests, so a warm cache hid every
ParsedRequirement.of mutant (docs/mutation.md).
"""


def clear_requirement_caches() -> None:
    from envdoctor.vocabulary import requires_dist, versions

    for cached in (requires_dist._parse, requires_dist._parsed, requires_dist._marker, versions.parse_version,
                   versions.specifier_set, versions.requires_python_spec):
        cached.cache_clear()
