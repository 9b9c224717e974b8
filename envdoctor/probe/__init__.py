"""The probe: facts from inside the target interpreter.

start.py   start the payload subprocess (light; launch.py uses it early)
run.py     collect its JSON and turn it into Facts
startup.py diagnose a target that dies or hangs at start-up
_payload.py the stdlib-only source that runs inside the target
"""
