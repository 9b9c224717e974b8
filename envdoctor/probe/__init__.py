"""The probe: facts from inside the target interpreter.

Two sides, two processes.  in_target/ is the code that runs inside the target (standard
library only, never imported here).  The rest is envdoctor's side:

command.py        the command lines the target runs, and the options passed to it (light)
process.py        target subprocesses read until they exit, answer or reach the deadline; ended with every descendant
start.py          start the facts probe (light: launch.py starts it before the heavy imports)
frame.py          cut the JSON document out of the target's stdout by its nonce frame
facts_document.py the document and site's .pth errors on stderr, made into Facts
diagnosis.py      no document came back: name the .pth line that kills start-up, replay without it
facts_probe.py    run_probe(): start or take the started probe, wait, read it or diagnose
deep_probes.py    --deep: the stack's modules imported in one target subprocess, torch first
"""
