"""The provider template: a small but complete provider to copy when adding a vendor.

It is not registered (``ekyc/providers/__init__.py`` has no line for it); the test suite registers it under
test names (``echo``, ``alpha``…) to test the core, and ``tests/conformance/test_template.py`` copies it
under another name to prove that a copy is picked up everywhere. How to start a provider from it:
``docs/adding-a-provider.md``.

Layout (the same in every provider folder):

- ``codes.py``: the code table — every vendor code, its meaning in the neutral vocabulary and its source;
- ``signing.py``: webhook signatures (verified by the adapter, produced by the emulator);
- ``adapter.py``: the sans-I/O :class:`~ekyc.provider.Provider` (settings, capabilities, requests, parsing);
- ``emulator.py``: the sandbox emulator (the vendor's API and hosted page, faithful to the wire).
"""

from .adapter import TemplateProvider, TemplateSettings

__all__ = ["TemplateProvider", "TemplateSettings"]
