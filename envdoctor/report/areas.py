"""The areas of an environment a person asks about, and which checks answer for each.

The text report opens with one line per area (✓ / ! / ✗ and a count), as `flutter doctor`
does, so that "is my GPU set up?" is answered before any finding is read.  A check's area
follows from its code family; a knowledge-base rule (KB) goes where its subject is; a
plugin's code of an unknown family lands in "other checks", never nowhere.
"""

from __future__ import annotations

from typing import Dict, List, Tuple

AREAS: Tuple[str, ...] = (
    "Python & interpreter",
    "distributions",
    "import system",
    ".pth & start-up",
    "GPU & drivers",
    "torch & companions",
    "serving stack",
    "CI expectations",
    "other checks",
)

FAMILY_AREAS: Dict[str, str] = {
    "PYU": "Python & interpreter", "WHL": "Python & interpreter", "MPS": "GPU & drivers",
    "REQ": "distributions", "INT": "distributions", "NPY": "distributions",
    "IMP": "import system", "NSP": "import system", "SHD": "import system", "HOOK": "import system",
    "SYM": "import system",
    "PTH": ".pth & start-up",
    "GPU": "GPU & drivers", "ENV": "GPU & drivers", "ROC": "GPU & drivers", "NCL": "GPU & drivers",
    "DST": "GPU & drivers", "MGPU": "GPU & drivers", "JIT": "GPU & drivers",
    "TOR": "torch & companions", "TRK": "torch & companions", "STK": "torch & companions",
    "FLI": "serving stack",
    "EXP": "CI expectations",
}

# Knowledge-base rules by subject: serving stack (vLLM, SGLang, FlashInfer), GPU generations,
# torch on a new Python or NumPy, the scientific stack on NumPy 2.
KB_AREAS: Dict[str, str] = {
    **{f"KB{n:03d}": "serving stack" for n in range(1, 5)},
    **{f"KB{n:03d}": "GPU & drivers" for n in range(5, 9)},
    **{f"KB{n:03d}": "torch & companions" for n in range(9, 13)},
    **{f"KB{n:03d}": "distributions" for n in range(13, 16)},
}


def area_of(code: str) -> str:
    if code in KB_AREAS:
        return KB_AREAS[code]
    family = code.rstrip("0123456789")
    return FAMILY_AREAS.get(family, "other checks")


def codes_by_area(codes) -> Dict[str, List[str]]:
    """{area: [codes]} in AREAS order, only the areas that have any."""
    grouped: Dict[str, List[str]] = {area: [] for area in AREAS}
    for code in codes:
        grouped[area_of(code)].append(code)
    return {area: found for area, found in grouped.items() if found}
