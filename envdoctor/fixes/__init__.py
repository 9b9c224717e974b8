"""Repairs: findings become plans, plans are applied through a journal, and undone.

    plan.py       Action and FixPlan: what a fix will do, as data the CLI shows
    registry.py   fixers found through the `envdoctor.fixers` entry-point group
    installer.py  `<python> -m pip`, or `uv pip --python` where the target has no pip
    snapshot.py   a hard-link copy of the trees a plan touches, and putting them back
    journal.py    persistent entries in <prefix>/.envdoctor/journal/, written before each step
    executor.py   the only code that writes to the target: apply, roll back, undo
    flow.py       `envdoctor fix`: probe, plan, confirm, apply, verify, roll back
    reinstall.py  the reinstall fixer; shim.py the shim fixer (runtime/ holds what it installs)
"""
