"""The documented rules of the H5 page's ``Config`` (SDK ``WebVerificationConfigIntl``), as data: the adapter
checks a request against them before sending (:class:`~ekyc.errors.InvalidRequest`) and the emulator refuses
a request that breaks them (``InvalidParameterValue``) — one table, so the two cannot disagree.

Source: ``tencentcloud-sdk-python-intl-en`` 3.1.193, ``faceid/v20180301/models.py``, class
``WebVerificationConfigIntl`` (quoted in the project's vendor reference, tencent.md §2.2):

- ``SecurityLevel``: "1: Silent liveness; 2: Action liveness; 3: Light liveness; 4: Action + light liveness;
  Default value is 3."
- ``ActionList``: "Choose 1-2 actions from the four [blink, mouth, nod, shake] … Default value: blink. Input this
  parameter only when SecurityLevel is 2, 4, or 5 for different action types to take effect; otherwise, an API
  error occurs." So the SDK allows ``SecurityLevel`` 5 with an action list, but no text says what level 5 is:
  its meaning is **unknown** (an action level, since it takes actions; nothing more is claimed). It is sent as
  given and never read into a result.
- ``LivenessRetryLimit`` "1 to 99", ``LivenessTimeout`` "0 to 600" seconds, ``AutoDowngrade`` 1 or 2.

Which error code Tencent answers a broken rule with is not documented ("an API error occurs"); the emulator
answers ``InvalidParameterValue``, the generic code for a value out of range (source unknown: fail closed, the
request is refused either way). An action list of other words, of more than two actions or one action twice is
not documented either, and is refused (fail closed).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

#: ``SecurityLevel`` → (what it is, how sure we are)
SECURITY_LEVELS: dict[int, tuple[str, str]] = {
    1: ("silent liveness", "SDK WebVerificationConfigIntl.SecurityLevel"),
    2: ("action liveness", "SDK WebVerificationConfigIntl.SecurityLevel"),
    3: ("light (reflection) liveness", "SDK WebVerificationConfigIntl.SecurityLevel"),
    4: ("action + light liveness", "SDK WebVerificationConfigIntl.SecurityLevel"),
    5: ("unknown (an action level: it takes an ActionList)",
        "source unknown: only WebVerificationConfigIntl.ActionList names it"),
}
DEFAULT_SECURITY_LEVEL = 3
#: the levels an ``ActionList`` may be sent with (SDK WebVerificationConfigIntl.ActionList)
ACTION_LEVELS = frozenset({2, 4, 5})
#: the documented actions
ACTIONS = ("blink", "mouth", "nod", "shake")
#: compiled on first use (re's cache), not at import: only a create's ActionList is checked with it
_ACTION_LIST = rf"({'|'.join(ACTIONS)})(?:,({'|'.join(ACTIONS)}))?"
#: documented integer ranges (inclusive)
RANGES: dict[str, tuple[int, int]] = {"LivenessRetryLimit": (1, 99), "LivenessTimeout": (0, 600),
                                      "AutoDowngrade": (1, 2)}


def config_problem(config: Mapping[str, Any]) -> tuple[str, str] | None:
    """The first documented rule ``config`` breaks, as ``(key, what is wrong)`` (never the value), else None.

    Types are checked by the caller (the adapter's and emulator's ``CONFIG_OPTIONS``)."""
    level = config.get("SecurityLevel", DEFAULT_SECURITY_LEVEL)
    if level not in SECURITY_LEVELS:
        return "SecurityLevel", f"must be one of {', '.join(map(str, SECURITY_LEVELS))}"
    if "ActionList" in config:
        if level not in ACTION_LEVELS:
            return "ActionList", f"needs SecurityLevel {', '.join(map(str, sorted(ACTION_LEVELS)))}"
        match = re.fullmatch(_ACTION_LIST, config["ActionList"])
        if match is None or match.group(1) == match.group(2):
            return "ActionList", f"must be one or two different actions of {', '.join(ACTIONS)}, comma-separated"
    for key, (lo, hi) in RANGES.items():
        if key in config and not lo <= config[key] <= hi:
            return key, f"must be from {lo} to {hi}"
    return None


__all__ = ["ACTIONS", "ACTION_LEVELS", "DEFAULT_SECURITY_LEVEL", "RANGES", "SECURITY_LEVELS", "config_problem"]
