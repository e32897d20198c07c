"""LUC401: service code that talks to another service directly instead of through
``send_command`` / ``publish_domain_event``.

Three shapes: ``nats.connect(...)`` (any import alias); ``publish``/``request`` on a NATS
client (a name or attribute called ``nc``, ``js``, ``nats``, ``jetstream``,
``nats_client``..., one assigned from ``nats.connect``, ``NATS()`` or ``.jetstream()``, or
the runtime's own bus reached through ``infrastructure``); and an HTTP call (``requests``,
``httpx``, ``aiohttp``, ``urllib``: module functions, and methods of clients and sessions)
whose URL's host matches ``internal-host-patterns``. ``lucent_runtime`` itself implements
the messaging and is exempt.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import libcst as cst

from lucent_lint.engine.bindings import resolve_scoped, string_literals
from lucent_lint.engine.context import call_argument, call_name, dotted_name, string_value
from lucent_lint.engine.rule import Rule
from lucent_runtime.naming import PLACEHOLDER

_NATS_CONNECT = frozenset({"nats.connect", "nats.aio.client.Client.connect"})
_NATS_CLIENT_CLASSES = frozenset({"nats.NATS", "nats.aio.client.Client", "nats.aio.client.NATS"})
_NATS_CLIENT_NAMES = frozenset(
    """nc js jetstream nats natsclient natsconn natsconnection jetstreamcontext jsctx
    natsjs""".split()
)
_NATS_METHODS = frozenset({"publish", "request"})
_BUS_NAMES = frozenset({"bus", "messagebus", "nats"})

_HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options"})
#: module functions: qualified name -> position of the URL
_HTTP_FUNCTIONS: dict[str, int] = {
    **{f"{lib}.{verb}": 0 for lib in ("requests", "httpx") for verb in _HTTP_VERBS},
    "requests.request": 1,
    "httpx.request": 1,
    "httpx.stream": 1,
    "aiohttp.request": 1,
    "urllib.request.urlopen": 0,
}
_HTTP_CLIENTS = frozenset(
    {
        "httpx.AsyncClient",
        "httpx.Client",
        "requests.Session",
        "requests.session",
        "requests.sessions.Session",
        "aiohttp.ClientSession",
    }
)
_CLIENT_NAME = re.compile(r"client|session|http|api", re.I)
_HOST = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*://(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)")


class DirectMessagingBypass(Rule):
    code = "LUC401"
    slug = "direct-messaging-bypass"
    checklist = "cross-service calls via send_command"
    message = "`{call}` {what}; call other services with self.send_command"

    def visit_Call(self, node: cst.Call) -> None:
        if self.ctx.in_runtime_package:
            return
        func = node.func
        qualified = self.ctx.qualified_name(func) if _plain(func) else None
        if qualified in _NATS_CONNECT:
            self._report(node, "opens its own NATS connection")
            return
        if qualified in _HTTP_FUNCTIONS:
            self._http(node, _HTTP_FUNCTIONS[qualified], None)
            return
        if not isinstance(func, cst.Attribute):
            return
        method = func.attr.value
        stack = self.ctx.stack
        if method in _NATS_METHODS and self._is_nats_client(func.value, stack, 0):
            self._report(
                node, f"{'publishes' if method == 'publish' else 'sends'} on NATS directly"
            )
        elif method in _HTTP_VERBS or method in ("request", "stream"):
            position = 1 if method in ("request", "stream") else 0
            if not _may_be_url(call_argument(node, position, "url")):
                return  # data.get("key"), os.environ.get(name, default)...
            client = self._http_client(func.value, stack, 0)
            if client is not None:
                self._http(node, position, *client)

    # -- NATS -------------------------------------------------------------------------------
    def _is_nats_client(
        self, expr: cst.BaseExpression, stack: Sequence[cst.CSTNode], depth: int
    ) -> bool:
        if isinstance(expr, cst.Await):
            return self._is_nats_client(expr.expression, stack, depth)
        if isinstance(expr, cst.Call):
            if call_name(expr) == "jetstream":
                return True
            qualified = self.ctx.qualified_name(expr.func) if _plain(expr.func) else None
            return qualified in _NATS_CONNECT or qualified in _NATS_CLIENT_CLASSES
        dotted = dotted_name(expr)
        if dotted is None:
            return False
        parts = dotted.split(".")
        last = parts[-1].lower().replace("_", "")
        if last in _NATS_CLIENT_NAMES or "nats" in last:
            return True
        if last in _BUS_NAMES and "infrastructure" in parts[:-1]:
            return True
        if depth >= 3:
            return False
        found = resolve_scoped(expr, stack)
        return found is not None and self._is_nats_client(found[0], found[1], depth + 1)

    # -- HTTP -------------------------------------------------------------------------------
    def _http_client(
        self, expr: cst.BaseExpression, stack: Sequence[cst.CSTNode], depth: int
    ) -> tuple[cst.BaseExpression, Sequence[cst.CSTNode]] | None:
        """The receiver of an HTTP method when it is a client or session: its constructor
        call when known (for its ``base_url``), else the receiver itself; with the
        ancestors of its scope."""
        if isinstance(expr, cst.Await):
            return self._http_client(expr.expression, stack, depth)
        if isinstance(expr, cst.Call):
            qualified = self.ctx.qualified_name(expr.func) if _plain(expr.func) else None
            return (expr, stack) if qualified in _HTTP_CLIENTS else None
        dotted = dotted_name(expr)
        if dotted is None:
            return None
        if depth < 3:
            found = resolve_scoped(expr, stack)
            if found is not None:
                return self._http_client(found[0], found[1], depth + 1)
        if dotted in ("requests", "httpx") or _CLIENT_NAME.search(dotted.rpartition(".")[2]):
            return expr, stack
        return None

    def _http(
        self,
        call: cst.Call,
        position: int,
        client: cst.BaseExpression | None,
        client_stack: Sequence[cst.CSTNode] = (),
    ) -> None:
        url = self._string(call_argument(call, position, "url"), self.ctx.stack)
        if (url is None or not _HOST.match(url)) and isinstance(client, cst.Call):
            base = self._string(call_argument(client, -1, "base_url"), client_stack)
            if base is not None:
                url = base + (url or "")
        host = _host(url)
        if host is None:
            return
        for pattern in self.ctx.settings.internal_host_regexes:
            if pattern.search(host):
                self._report(call, f"calls the internal host {host!r} over HTTP")
                return

    def _string(self, expr: cst.BaseExpression | None, stack: Sequence[cst.CSTNode]) -> str | None:
        """The value of a URL expression: a literal, an f-string (its fields filled in from
        names assigned literals where possible), ``a + b``, or a name assigned one."""
        if expr is None:
            return None
        if isinstance(expr, cst.FormattedString):
            out = []
            for part in expr.parts:
                if isinstance(part, cst.FormattedStringText):
                    out.append(part.value)
                else:
                    out.append(self._string(part.expression, stack) or PLACEHOLDER)
            return "".join(out)
        if isinstance(expr, cst.BinaryOperation) and isinstance(expr.operator, cst.Add):
            left = self._string(expr.left, stack)
            right = self._string(expr.right, stack)
            return None if left is None else left + (right or PLACEHOLDER)
        if isinstance(expr, cst.Name | cst.Attribute):
            found = resolve_scoped(expr, stack)
            return self._string(found[0], found[1]) if found is not None else None
        literals = list(string_literals(expr, stack))
        return string_value(literals[0]) if len(literals) == 1 else None

    def _report(self, call: cst.Call, what: str) -> None:
        shown = dotted_name(call.func) or call_name(call) or "call"
        self.report(call, call=f"{shown}(...)", what=what)


def _plain(expr: cst.BaseExpression) -> bool:
    """A Name or a dotted chain of names (no calls or subscripts in between)."""
    return dotted_name(expr) is not None


def _may_be_url(expr: cst.BaseExpression | None) -> bool:
    """Cheap test before looking at the receiver: a literal that is no URL or path (a
    dictionary key) rules the call out; names and other expressions may hold one."""
    if isinstance(expr, cst.SimpleString):
        value = string_value(expr) or ""
        return value.startswith("/") or "://" in value
    if isinstance(expr, cst.FormattedString):
        first = expr.parts[0] if expr.parts else None
        if isinstance(first, cst.FormattedStringText):
            return first.value.startswith("/") or "://" in first.value
        return True
    return expr is not None and not isinstance(expr, cst.Integer | cst.Float)


def _host(url: str | None) -> str | None:
    """The host of an absolute URL; None when there is none or it is not known."""
    if url is None:
        return None
    match = _HOST.match(url)
    if match is None:
        return None
    host = match.group(1).strip("[]").lower()
    return host if host and PLACEHOLDER not in host else None
