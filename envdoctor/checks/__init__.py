"""envdoctor's built-in checks, one module per problem area.

Each module is registered under the `envdoctor.checks` entry-point group in
pyproject.toml, the same way a third-party plugin registers its own.
"""
