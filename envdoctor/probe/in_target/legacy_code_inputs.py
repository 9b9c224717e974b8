# What the host's scan of installed legacy code (scan/legacy_scan.py) needs from inside the
# target: SETUPTOOLS_USE_DISTUTILS as the target's own environment has it ("stdlib" makes
# setuptools leave `distutils` to a standard library that no longer has one on 3.12+).
# The rest (the stdlib's modules and names, the files of each distribution) the host reads
# from the target's files, so this costs the probe nothing.
#
# Runs inside the target interpreter (see __init__.py): standard library only, 3.8 syntax.
import os


def legacy_code_inputs():
    return {"setuptools_use_distutils": os.environ.get("SETUPTOOLS_USE_DISTUTILS")}
