# What the target sends back to the host: everything goes through os.write.
#
# Runs inside the target interpreter (see __init__.py): standard library only, 3.8 syntax.
import os


def write_raw(text):
    # os.write is unbuffered: a marker written just before the interpreter is
    # killed by a .pth line still reaches the host.
    data = text.encode("utf-8", "replace")
    while data:
        written = os.write(1, data)
        data = data[written:]


def write_framed(nonce, text):
    """The JSON document between two frame lines that carry the host's nonce, so whatever
    a noisy sitecustomize or .pth prints on stdout cannot corrupt it."""
    write_raw("\n@@ENVDOCTOR-BEGIN-%s@@\n%s\n@@ENVDOCTOR-END-%s@@\n" % (nonce, text, nonce))


def describe_error(exc):
    """An exception in one line: its type and the first line of its message (500 characters at most)."""
    text = str(exc).strip().splitlines()
    return "%s: %s" % (type(exc).__name__, text[0][:500]) if text else type(exc).__name__
