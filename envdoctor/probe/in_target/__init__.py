"""The code that runs inside the target interpreter, never in envdoctor's own process.

Host-side code never imports these modules: probe/command.py's bootstrap loads them in
the target, under the private package name `_envdoctor_probe` (registered in
sys.modules, never put on sys.path), in the order probe/command.py lists, and calls the
last one's main().  Each module imports what it uses from the others explicitly, with
relative imports.  So every module here:

  * uses the standard library only, with Python 3.8 syntax;
  * never imports the packages it inspects (metadata is read as text, modules are
    located with importlib.util.find_spec on top-level names) -- deep_import.py, the
    --deep probe, is the one exception, since importing is its point;
  * writes nothing into the environment: no bytecode (-B), no caches, no files (it reads the
    host's cache of distributions, dist_cache.py, and the bootstrap the host's cache of its own
    code, probe/probe_code_file.py; the host writes both).  The deep probes keep
    the bytecode of what they import in the host's cache folder instead (bytecode.py);
  * takes the ML stack's names and the secret words from the options the host passes,
    never defining them itself (envdoctor/vocabulary/ holds them).
"""
