"""envdoctor: a doctor for Python ML/GPU environments."""

__version__ = "0.1.0"

# Where envdoctor's documentation lives (docs/ of the repository); reports link each
# check to DOCS_URL/checks/CODE.md.
PROJECT_URL = "https://github.com/envdoctor/envdoctor"
DOCS_URL = PROJECT_URL + "/blob/main/docs"
