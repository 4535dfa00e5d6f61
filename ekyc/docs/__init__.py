"""``python -m ekyc.docs`` (``make docs``): regenerates the generated parts of the docs.

The generator is :mod:`ekyc.cli.docs` — it renders sandbox runs, so it lives with the command line, above the
sandbox; this package only keeps the command's name. It sits outside the core (``ekyc/*.py``).
"""
