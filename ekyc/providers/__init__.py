"""Built-in providers. One line per provider: ``name -> "module:Class"``, imported only when used.

Third-party providers register under the entry-point group ``ekyc.providers`` (same value form).
"""

BUILTIN: dict[str, str] = {
    "didit": "ekyc.providers.didit:DiditProvider",
    "tencent": "ekyc.providers.tencent:TencentProvider",
    "alibaba": "ekyc.providers.alibaba:AlibabaProvider",
    "stripe": "ekyc.providers.stripe:StripeProvider",
    "onfido": "ekyc.providers.onfido:OnfidoProvider",
    "persona": "ekyc.providers.persona:PersonaProvider",
}
