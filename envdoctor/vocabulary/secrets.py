"""What counts as a secret: the one policy behind every mask envdoctor applies.

The probe masks the values of secret-named variables before they leave the target (the
host passes it SECRET_NAME_WORDS); every output that leaves envdoctor goes through
`envdoctor.redaction`, which uses the same words and the token shapes below.
"""

from __future__ import annotations

# A variable whose name contains one of these holds a secret: its value is never shown.
SECRET_NAME_WORDS = ("TOKEN", "KEY", "SECRET", "PASSWORD", "PASSWD", "CREDENTIAL", "AUTH", "COOKIE")
MASK = "<redacted>"
