"""Tencent Cloud eKYC (mobile HTML5 flow, ``faceid`` 2018-03-01)."""

from .adapter import TencentProvider, TencentSettings
from .codes import CODE_TABLE

__all__ = ["CODE_TABLE", "TencentProvider", "TencentSettings"]
