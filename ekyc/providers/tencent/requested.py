"""What a create asked Tencent for, carried in the ref so that the result can be read against it.

``GetWebVerificationResultIntl`` does not echo the create's ``Config``, yet two of the sub-checks it reports
mean something only next to it (SDK ``WebVerificationConfigIntl``):

- ``CheckMode`` — 1 OCR + liveness + face comparison, 2 liveness + face comparison, 3 liveness, 4 OCR.
  ``VerificationDetail.Similarity`` is a face-comparison score, so in modes 3 and 4 it is not applicable
  (a ``0.0`` there is not a failed comparison).
- ``DisableCheckOcrWarnings`` / ``SelectedWarningCodes`` — "when an OCR alarm [among the selected codes;
  empty = all] is generated, the identity verification process will be interrupted"; disabling the alarms
  makes none interrupt. A warning the app chose not to interrupt on is informational next to a passed
  document check.

The adapter stores both in ``SessionRef.extra`` at create: ``(CheckMode, interrupting warnings)``, e.g.
``("1", "all")``, ``("3", "none")``, ``("1", "-9101.-9102")``. A ref without them (a ref rebuilt from a
return URL, or stored before this field existed) reads as :data:`UNKNOWN`: every warning interrupts (the
documented default) and a low ``Similarity`` cannot be told from "not compared" — both fail closed
(``REVIEW``, never ``APPROVED``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from .codes import CODE_TABLE

#: CheckModes that compare faces (``Similarity`` applies)
COMPARING_MODES = frozenset({1, 2})
#: CheckModes that read a document (``OCRResult`` expected)
OCR_MODES = frozenset({1, 4})
#: CheckModes that run liveness (``VerificationDetailList`` expected)
LIVENESS_MODES = frozenset({1, 2, 3})
#: the documented default CheckMode (SDK ``WebVerificationConfigIntl.CheckMode``)
DEFAULT_CHECK_MODE = 2

WARNING_CODES = frozenset(int(e.code) for e in CODE_TABLE.of_kind("warn_card"))
#: compiled on first use (re's cache), not at import: only a create's configuration is read with it
_SELECTED = r"-[0-9]{4}(?: ?, ?-[0-9]{4})*"
_EXTRA_WARNINGS = re.compile(r"-[0-9]{4}(?:\.-[0-9]{4})*")


def parse_selected_warning_codes(value: str) -> frozenset[int] | None:
    """``SelectedWarningCodes`` (comma-separated documented codes, ``""`` = all) → the set, None for all.

    Raises :class:`ValueError` (no value echoed) for anything else: the format is not documented beyond a
    string of the codes, so only the plain list is accepted.
    """
    if value == "":
        return None
    if not re.fullmatch(_SELECTED, value):
        raise ValueError("expected comma-separated warning codes such as -9101,-9102")
    codes = frozenset(int(part.strip()) for part in value.split(","))
    if not codes <= WARNING_CODES:
        raise ValueError("names a warning code Tencent does not document")
    return codes


class Requested(NamedTuple):
    """The create's ``CheckMode`` and which document warnings interrupt the flow.

    ``check_mode`` None means unknown; ``interrupting`` None means every warning interrupts (the default,
    also assumed when unknown); an empty set means none does (``DisableCheckOcrWarnings=true``).
    Immutable, a named tuple rather than a frozen dataclass: creating a dataclass costs a cold start about
    0.7 ms (issue 15).
    """

    check_mode: int | None = None
    interrupting: frozenset[int] | None = None

    @property
    def known(self) -> bool:
        """Whether the create's configuration is known (the ref carried it)."""
        return self.check_mode is not None

    def interrupts(self, warning: int) -> bool:
        """Whether ``warning`` was selected to interrupt the flow (True when unknown)."""
        return self.interrupting is None or warning in self.interrupting

    @property
    def compares(self) -> bool | None:
        """Whether faces are compared (None when the CheckMode is unknown)."""
        return None if self.check_mode is None else self.check_mode in COMPARING_MODES

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Requested:
        """From the ``Config`` object the adapter sends (already type-checked)."""
        mode = config.get("CheckMode", DEFAULT_CHECK_MODE)
        interrupting: frozenset[int] | None
        if config.get("DisableCheckOcrWarnings") is True:
            interrupting = frozenset()
        else:
            interrupting = parse_selected_warning_codes(config.get("SelectedWarningCodes", ""))
        return cls(int(mode), interrupting)

    def to_extra(self) -> tuple[str, ...]:
        """The ``SessionRef.extra`` form (empty when unknown)."""
        if self.check_mode is None:
            return ()
        if self.interrupting is None:
            warnings = "all"
        elif not self.interrupting:
            warnings = "none"
        else:
            warnings = ".".join(str(c) for c in sorted(self.interrupting, reverse=True))
        return (str(self.check_mode), warnings)

    @classmethod
    def from_extra(cls, extra: Sequence[str]) -> Requested:
        """Read :meth:`to_extra`'s form back; :class:`ValueError` when it is not that form."""
        if not extra:
            return UNKNOWN
        if len(extra) != 2 or extra[0] not in ("1", "2", "3", "4"):
            raise ValueError("not a Tencent session configuration")
        warnings = extra[1]
        interrupting: frozenset[int] | None
        if warnings == "all":
            interrupting = None
        elif warnings == "none":
            interrupting = frozenset()
        elif _EXTRA_WARNINGS.fullmatch(warnings):
            interrupting = frozenset(int(c) for c in warnings.split("."))
            if not interrupting <= WARNING_CODES:
                raise ValueError("not a Tencent session configuration")
        else:
            raise ValueError("not a Tencent session configuration")
        return cls(int(extra[0]), interrupting)


#: a ref that does not carry the create's configuration
UNKNOWN = Requested()

__all__ = ["COMPARING_MODES", "LIVENESS_MODES", "OCR_MODES", "UNKNOWN", "Requested",
           "parse_selected_warning_codes"]
