# Cheap reads of the target's files: each folder listed once, small files read unbuffered.
#
# Runs inside the target interpreter (see __init__.py): standard library only, 3.8 syntax.
import os

_READ_FLAGS = os.O_RDONLY | getattr(os, "O_BINARY", 0)  # O_BINARY: no newline translation on Windows


class Watch(object):
    """The folders listed and the files read while one distribution's facts are made: what
    those facts are a function of, and so what proves them unchanged later (dist_cache.py)."""

    def __init__(self):
        self.folders = set()
        self.files = set()


# The Watch of the distribution being read, or None: set by watching(), noted by read_text
# and DirCache.names, so the readers themselves need not pass it along.
_watch = [None]


def watching(watch):
    """Note every folder listed and file read in `watch` from now on (None: stop noting)."""
    _watch[0] = watch


def read_text(path):
    """A file's content as UTF-8 text.  os.open/os.read rather than open(): the probe reads
    three small files per distribution, and skipping the buffered file object halves that."""
    if _watch[0] is not None:
        _watch[0].files.add(path)
    fd = os.open(path, _READ_FLAGS)
    try:
        chunks = []
        chunk = os.read(fd, 65536)
        while chunk:
            chunks.append(chunk)
            chunk = os.read(fd, 65536)
    finally:
        os.close(fd)
    return b"".join(chunks).decode("utf-8")


def read_pth(fullname):
    """A .pth file's text, decoded as site decodes it, undecodable bytes replaced (for facts)."""
    with open(fullname, "rb") as handle:
        raw = handle.read()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        import locale
        return raw.decode(locale.getpreferredencoding(False), "replace")


def read_pth_strictly(fullname):
    """A .pth file's text exactly as this interpreter's site decodes it: raises
    UnicodeDecodeError where site does, which kills start-up ("Fatal Python error:
    init_import_site") because site decodes outside its per-line error handling."""
    import locale
    import sys

    with open(fullname, "rb") as handle:
        raw = handle.read()
    if sys.version_info >= (3, 13):  # UTF-8 (a BOM allowed), then the locale's encoding
        try:
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            return raw.decode(locale.getencoding())
    # 3.8-3.12 wrap the file in TextIOWrapper with the locale's encoding (3.11 and 3.12
    # name it encoding="locale", which is locale.getencoding()).
    encoding = locale.getencoding() if sys.version_info >= (3, 11) else locale.getpreferredencoding(False)
    return raw.decode(encoding)


class DirCache(object):
    """Directory listings, each read once: existence tests without a stat per file."""

    def __init__(self):
        self.listings = {}

    def names(self, directory):
        if _watch[0] is not None:
            _watch[0].folders.add(directory)
        listing = self.listings.get(directory, False)
        if listing is False:
            try:
                listing = set(os.listdir(directory))
            except OSError:
                listing = None
            self.listings[directory] = listing
        return listing
