"""Repairs: findings become plans, plans are applied through a journal, and undone.

    fixer_api.py       what a fixer imports: @fixer, FixContext (facts, the target's installer), FixPlan and its actions
    fixer_registry.py  fixers found through the `envdoctor.fixers` entry-point group
    backup.py          a hard-link copy of the trees a plan touches, and putting them back
    journal.py         persistent entries in <prefix>/.envdoctor/journal/, written before each step, validated when read
    lock.py            one fix or undo at a time per target: flock on the journal folder
    executor.py        the only code that writes to the target: apply, roll back, undo
    step_processes.py  a step's command dies with envdoctor; is a recorded step process still alive?
    flow.py            `envdoctor fix`: plan, choose, apply, verify, roll back; `envdoctor undo`
    reinstall.py       the reinstall fixers; shim.py the shim fixers (runtime/ holds what they install);
                       stub.py the triton stub; patch.py re-points dead imports

The plan types are data in model/plan.py, plans are rendered by report/plans.py, and which
installer (pip or uv) serves a target is decided in vocabulary/installer.py.
"""
