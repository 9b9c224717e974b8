# The text formats of a distribution's metadata: METADATA/PKG-INFO headers, egg-info's
# requires.txt, and the MAPPING of a setuptools editable finder (read with ast, never run).
#
# Runs inside the target interpreter (see __init__.py): standard library only, 3.8 syntax.
from .filesystem import read_text


def parse_headers(text):
    """RFC 822-style metadata headers, up to the first blank line."""
    headers = {}
    last = None
    blank = text.find("\n\n")  # the body (often a long README) is not split into lines
    for line in (text if blank < 0 else text[:blank]).splitlines():
        if not line:
            break
        if line[0] in " \t" and last is not None:
            values = headers[last]
            values[-1] = values[-1] + "\n" + line.strip()
            continue
        key, sep, value = line.partition(":")
        if not sep:
            return headers, "line %r is not a 'Key: value' header" % line[:80]
        last = key.strip().lower()
        headers.setdefault(last, []).append(value.strip())
    return headers, None


def requires_txt(text):
    """egg-info requires.txt sections -> Requires-Dist strings."""
    requirements = []
    section = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        extra, _, marker = section.partition(":")
        conditions = []
        if extra:
            conditions.append('extra == "%s"' % extra)
        if marker:
            conditions.append("(%s)" % marker)
        requirements.append(line + ("; " + " and ".join(conditions) if conditions else ""))
    return requirements


def editable_mapping(path):
    """MAPPING of a setuptools __editable___*_finder.py, read with ast (never imported)."""
    import ast

    try:
        tree = ast.parse(read_text(path))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == "MAPPING" for t in targets) and node.value is not None:
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                return None
            return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else None
    return None
