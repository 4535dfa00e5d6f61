"""The launch page: one "Verify" button for every provider, which collects what a provider needs from the user's
browser before a session can start, then posts it to the app.

Some providers need values only the user's browser can produce — Alibaba's ``MetaInfo`` comes from
``window.getMetaInfo()`` of its web script (``jsvm_all.js``) — so they cannot be invented on the server. The
launch page loads the scripts of the providers that declare one (:meth:`ekyc.provider.Provider.browser_metadata`),
calls their getter, and posts :data:`FIELD` (empty for providers that need nothing) with the app's own hidden
fields to the app's start URL; the app passes :func:`client_metadata` of that form on as
``SessionRequest.client_metadata``. The same page, the same form and the same ``create_session`` call serve every
provider::

    # GET /kyc/verify — the Verify button (or embed launch_snippet(...) in your own page)
    html = launch_page(kyc, action="/kyc/start", fields={"csrf": token})
    # POST /kyc/start
    session = kyc.create_session(reference=str(user.id), return_url="https://app.example/kyc/done",
                                 client_metadata=client_metadata(form))
    redirect(session.url)

The HTML is self-contained (no dependency, no external asset except each provider's own script), escapes every
value it embeds, and takes a CSP ``nonce`` for its inline script. Without JavaScript the page shows a Continue
button that posts an empty :data:`FIELD` (Alibaba then refuses the request with an error naming
``client_metadata``: fail closed, never a made-up MetaInfo).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit

from .errors import InvalidRequest
from .provider import BrowserMetadata, Provider

#: the form field the launch page posts the browser metadata in
FIELD = "ekyc_client_metadata"
#: the most client metadata a request may carry (``SessionRequest.client_metadata``)
MAX_METADATA = 8192
_GETTER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]{0,63}")
_FORM_ID = "ekyc-launch"


@runtime_checkable
class _HasAdapters(Protocol):
    @property
    def providers(self) -> tuple[str, ...]: ...

    def adapter(self, name: str) -> Provider: ...


def browser_metadata(source: _HasAdapters | Provider | Iterable[Provider],
                     provider: str | None = None) -> list[BrowserMetadata]:
    """What the browser must collect for ``source`` (a client, an adapter or several adapters): one entry per
    distinct script, in provider order; only ``provider`` when given (for a client)."""
    adapters: list[Provider]
    if isinstance(source, Provider):
        adapters = [source]
    elif isinstance(source, _HasAdapters):
        names = (provider,) if provider is not None else source.providers
        adapters = [source.adapter(name) for name in names]
    else:
        adapters = list(source)
    out: list[BrowserMetadata] = []
    for adapter in adapters:
        wanted = adapter.browser_metadata()
        if wanted is not None and wanted not in out:
            if not _GETTER.fullmatch(wanted.getter):
                raise InvalidRequest("a browser metadata getter is a JavaScript identifier", field="getter")
            out.append(wanted)
    return out


def _text(value: Any, field: str, *, empty: bool = True) -> str:
    """``value`` when it is text (non-empty unless ``empty``), else :class:`InvalidRequest` naming ``field``."""
    if not isinstance(value, str) or (not empty and not value):
        raise InvalidRequest(f"{field} must be {'text' if empty else 'non-empty text'}", field=field)
    return value


def _action(action: Any) -> str:
    """The form's ``action``: a path or an http(s) URL, printable and without surrounding whitespace. Browsers
    drop tabs and line breaks from URLs and run ``javascript:`` actions on submit, so anything else (a
    ``javascript:``/``data:`` URL, however spelt) is refused rather than escaped."""
    text = _text(action, "action", empty=False)
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        scheme = "?"
    if not text.isprintable() or text != text.strip() or scheme not in ("", "http", "https"):
        raise InvalidRequest("the launch form action must be a path or an http(s) URL", field="action")
    return text


def _fields(fields: Any) -> dict[str, str]:
    """The app's hidden fields: text names and values, none named :data:`FIELD` (posted once, by the page)."""
    if fields is None:
        return {}
    if not isinstance(fields, Mapping):
        raise InvalidRequest("fields must be a mapping of names to text values", field="fields")
    out: dict[str, str] = {}
    for k, v in fields.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise InvalidRequest("fields must be a mapping of names to text values", field="fields")
        if k == FIELD:
            raise InvalidRequest(f"{FIELD} is posted by the launch page itself", field="fields")
        out[k] = v
    return out


def launch_snippet(source: _HasAdapters | Provider | Iterable[Provider], action: str, *,
                   fields: Mapping[str, str] | None = None, provider: str | None = None, label: str = "Verify",
                   nonce: str | None = None, auto_submit: bool = False) -> str:
    """An HTML fragment: the provider scripts, a form posting to ``action`` (your start URL) with ``fields`` as
    hidden inputs and :data:`FIELD`, a ``label`` button, and the inline script that fills :data:`FIELD` on
    submit (or at once with ``auto_submit``). Every value is HTML-escaped; ``nonce`` is set on both scripts.
    Raises :class:`~ekyc.errors.InvalidRequest` naming the argument for an ``action`` that is not a path or an
    http(s) URL, and for values that are not text (``fields`` may not hold :data:`FIELD`)."""
    action, hidden_fields = _action(action), _fields(fields)
    label = _text(label, "label")
    if nonce is not None:
        nonce = _text(nonce, "nonce")
    wanted = browser_metadata(source, provider)
    attr = f' nonce="{html.escape(nonce, quote=True)}"' if nonce else ""
    parts = [f'<script src="{html.escape(w.script, quote=True)}"{attr}></script>' for w in wanted]
    hidden = "".join(f'<input type="hidden" name="{html.escape(k, quote=True)}" value="{html.escape(v, quote=True)}">'
                     for k, v in hidden_fields.items())
    parts.append(f'<form id="{_FORM_ID}" method="post" action="{html.escape(action, quote=True)}">{hidden}'
                 f'<input type="hidden" name="{FIELD}" value="">'
                 f'<button type="submit" id="{_FORM_ID}-button">{html.escape(label)}</button></form>')
    getters = json.dumps([w.getter for w in wanted])
    script = (_SCRIPT.replace("__GETTERS__", getters).replace("__FORM__", json.dumps(_FORM_ID))
              .replace("__FIELD__", json.dumps(FIELD)).replace("__AUTO__", "true" if auto_submit else "false"))
    parts.append(f"<script{attr}>{script}</script>")
    return "\n".join(parts)


def launch_page(source: _HasAdapters | Provider | Iterable[Provider], action: str, *,
                fields: Mapping[str, str] | None = None, provider: str | None = None,
                title: str = "Identity verification", nonce: str | None = None, auto_submit: bool = True) -> str:
    """A whole HTML document that collects the browser metadata and posts the form at once (a Continue button
    when JavaScript is off): serve it where your "Verify" button leads. Arguments as :func:`launch_snippet`;
    ``auto_submit=False`` waits for the Continue button (serve that to a navigation from another site, so that
    no site can start a session for a signed-in user without their click)."""
    title = _text(title, "title")
    body = launch_snippet(source, action, fields=fields, provider=provider, label="Continue", nonce=nonce,
                          auto_submit=auto_submit)
    return ("<!doctype html>\n<html><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title></head>\n<body>\n<p>{html.escape(title)}…</p>\n{body}\n"
            "</body></html>\n")


def client_metadata(form: Mapping[str, Any]) -> str | None:
    """The browser metadata the launch page posted (:data:`FIELD`), or None when it posted none. ``form`` is any
    mapping of the posted fields (a dict, Starlette's ``FormData``, Werkzeug's ``MultiDict``; a list value takes
    its only item). Raises :class:`~ekyc.errors.InvalidRequest` (``field="client_metadata"``) for a value that is
    not text, is given twice, or is longer than :data:`MAX_METADATA` characters."""
    try:
        getlist = getattr(form, "getlist", None)  # multi-value forms: a field posted twice is refused
        value = list(getlist(FIELD)) if callable(getlist) else form.get(FIELD)
    except Exception:  # any mapping-like object; a broken one is the caller's input error
        raise InvalidRequest("the posted form cannot be read", field="client_metadata") from None
    if isinstance(value, (list, tuple)):
        if len(value) > 1:
            raise InvalidRequest(f"{FIELD} was posted more than once", field="client_metadata")
        value = value[0] if value else None
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRequest(f"{FIELD} must be text", field="client_metadata")
    value = value.strip()
    if len(value) > MAX_METADATA:
        raise InvalidRequest(f"{FIELD} is longer than {MAX_METADATA} characters", field="client_metadata")
    return value or None


_SCRIPT = """
(function () {
  var form = document.getElementById(__FORM__), getters = __GETTERS__;
  function collect() {
    var value = "";
    for (var i = 0; i < getters.length && !value; i++) {
      try {
        var get = window[getters[i]];
        if (typeof get === "function") {
          var got = get();
          value = typeof got === "string" ? got : (got == null ? "" : JSON.stringify(got));
        }
      } catch (e) { value = ""; }
    }
    form.elements[__FIELD__].value = value;
  }
  form.addEventListener("submit", collect);
  if (__AUTO__) { collect(); form.submit(); }
})();
"""

__all__ = ["FIELD", "MAX_METADATA", "browser_metadata", "client_metadata", "launch_page", "launch_snippet"]
