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
# Secret only as a whole `_`-separated part: "PAT" inside PATH is not a personal access token.
SECRET_NAME_PARTS = ("PAT",)
# Names that contain a word above but hold nothing secret, and that a bug report needs.
NOT_SECRET_NAMES = ("KEYTIMEOUT", "PYTHONHASHSEED", "SSH_AUTH_SOCK", "GPG_AGENT_INFO", "XAUTHORITY")

# What the probe stores instead of a secret-named variable's value (facts keep this spelling).
MASK = "<redacted>"
# What replaces a secret found inside text (reports, snapshots, journals, baselines).
TEXT_MASK = "[redacted]"

# Token shapes masked wherever they appear, paths included (regular-expression sources).
TOKEN_SHAPES = (
    r"\bhf_[A-Za-z0-9]{20,}",  # Hugging Face
    r"\bgh[pousr]_[A-Za-z0-9]{30,}",  # GitHub tokens
    r"\bgithub_pat_[A-Za-z0-9_]{30,}",
    r"\bglpat-[A-Za-z0-9_-]{20,}",  # GitLab
    r"\bsk-[A-Za-z0-9_-]{20,}",  # OpenAI-style keys
    r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b",  # AWS access key ids
    r"\bxox[abprs]-[A-Za-z0-9-]{10,}",  # Slack
    r"(?<=Bearer )[A-Za-z0-9._~+/=-]{16,}",
)
