"""What counts as a secret: the one policy behind every mask envdoctor applies.

The probe masks the values of secret-named variables before they leave the target (the
host passes it SECRET_NAME_WORDS, SECRET_NAME_PARTS, NOT_SECRET_NAMES and MASK); every output
that leaves envdoctor goes through `envdoctor.redaction`, which uses the same lists and the
token shapes below.  Data only, stdlib-free: the target side may be sent these values.

A variable name is secret when, upper-cased, it is not in NOT_SECRET_NAMES and it contains
one of SECRET_NAME_WORDS, or one of its `_`-separated parts is in SECRET_NAME_PARTS.
"""

from __future__ import annotations

# A variable whose name contains one of these holds a secret: its value is never shown.
SECRET_NAME_WORDS = (
    "TOKEN", "KEY", "SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "CREDENTIAL", "AUTH", "COOKIE",
    "SESSION", "PRIVATE", "SIGNATURE",
)
# Secret only as a whole `_`-separated part: "PAT" inside PATH is not a personal access token,
# "SIG" (an Azure SAS URL's signature parameter) inside SIGINT is not a signature.
SECRET_NAME_PARTS = ("PAT", "SIG")
# Names that contain a word above but hold nothing secret, and that a bug report needs.
NOT_SECRET_NAMES = ("KEYTIMEOUT", "PYTHONHASHSEED", "SSH_AUTH_SOCK", "GPG_AGENT_INFO", "XAUTHORITY")

# What the probe stores instead of a secret-named variable's value (facts keep this spelling).
MASK = "<redacted>"
# What replaces a secret found inside text (reports, snapshots, journals, baselines).
TEXT_MASK = "[redacted]"

# Token shapes masked wherever they appear, paths included: (a literal every match contains,
# the regular-expression source).  The literal lets a redactor skip the expression for the
# many strings (paths, names) that cannot hold a token: Python's re tries an alternation at
# every position, ~5 us per string, 75 ms over a 200-distribution snapshot without it.
TOKEN_SHAPES = (
    ("hf_", r"\bhf_[A-Za-z0-9]{20,}"),  # Hugging Face
    ("gh", r"\bgh[pousr]_[A-Za-z0-9]{30,}"),  # GitHub tokens
    ("github_pat_", r"\bgithub_pat_[A-Za-z0-9_]{30,}"),
    ("glpat-", r"\bglpat-[A-Za-z0-9_-]{20,}"),  # GitLab
    ("sk-", r"\bsk-[A-Za-z0-9_-]{20,}"),  # OpenAI-style keys
    ("AKIA", r"\bAKIA[0-9A-Z]{16}\b"),  # AWS access key ids
    ("ASIA", r"\bASIA[0-9A-Z]{16}\b"),  # AWS temporary access key ids
    ("xox", r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),  # Slack
    ("Bearer ", r"(?<=Bearer )[A-Za-z0-9._~+/=-]{16,}"),
)
