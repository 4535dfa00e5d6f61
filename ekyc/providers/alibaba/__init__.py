"""Alibaba Cloud ID Verification, international (``Cloudauth-intl`` 2022-08-09, ACS3-HMAC-SHA256)."""

from .adapter import AlibabaProvider, AlibabaSettings
from .codes import CODE_TABLE

__all__ = ["CODE_TABLE", "AlibabaProvider", "AlibabaSettings"]
