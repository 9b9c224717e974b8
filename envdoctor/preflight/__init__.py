"""`check --with`: the target's facts as an install would leave them, checked before the install.

- `wanted.py`: what the user asks to install (`--with`, `-r`, a pyproject.toml or pylock.toml)
  as the installer's arguments;
- `dry_run.py`: the target's own installer resolves it without installing (pip's
  `--dry-run --report -`, uv's `--dry-run`) -> model/install_resolution.py;
- `overlay.py`: the facts with the resolved distributions in place of the installed ones;
- `compare.py`: the findings on those facts, each marked new or already present, and the
  exit code a CI preflight wants.
"""
