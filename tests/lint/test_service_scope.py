"""Which code is service code: modules importing the runtime, and classes that reach a
runtime service base through the project; names count only when they resolve to the
runtime; generated files, exceptions, interfaces and data models are never services."""

from __future__ import annotations

from pathlib import Path

from lucent_lint.config import settings_from_mapping
from lucent_lint.engine.registry import Selection
from lucent_lint.engine.source import is_generated
from lucent_lint.run.runner import run_check

from .helpers import lint_text, pairs
from .test_cross_file import write


def run(root: Path, config: dict | None = None) -> list[tuple[str, int, str]]:
    settings = settings_from_mapping(config or {})
    selection = Selection(settings.select, settings.ignore, settings.extend_select)
    result = run_check([root], settings, root, selection)
    assert result.errors == []
    return sorted(
        (Path(f.path).resolve().relative_to(root.resolve()).as_posix(), f.line, f.code)
        for f in result.findings
    )


SWALLOW = """
    def cancel(self, order_id):
        try:
            return self.book.pop(order_id)
        except Exception:
            return None
"""


def test_class_adopting_the_runtime_through_a_project_base_is_service_code(
    tmp_path: Path,
) -> None:
    write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/base.py": """
                from lucent_runtime import CryptoTradingServiceBase

                class Base(CryptoTradingServiceBase):
                    pass
            """,
            "pkg/orders.py": "from pkg.base import Base\n\n\nclass Book(Base):" + SWALLOW,
            "pkg/plain.py": "class Book:" + SWALLOW,
        },
    )
    assert run(tmp_path) == [("pkg/orders.py", 8, "LUC601")]


def test_adopted_class_in_a_skipped_file_is_found_again_from_the_cache(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/base.py": "import lucent_runtime as lr\n\nclass Base(lr.LucentServiceBase): ...\n",
            "pkg/orders.py": "from pkg.base import Base\n\n\nclass Book(Base):" + SWALLOW,
        },
    )
    settings = settings_from_mapping({})
    selection = Selection(settings.select, settings.ignore, settings.extend_select)
    for _ in range(2):  # cold, then from the cache
        found = run_check([tmp_path], settings, tmp_path, selection, use_cache=True)
        assert [(f.line, f.code) for f in found.findings] == [(8, "LUC601")]


def test_configured_non_service_base_may_be_a_project_class(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "lib/__init__.py": "",
            "lib/adapters.py": "class Adapter:\n    pass\n",
            "lib/impl.py": "from lib.adapters import Adapter\n\nclass StoreService(Adapter): ...\n",
        },
    )
    assert run(tmp_path) == [("lib/impl.py", 3, "LUC101")]
    assert run(tmp_path, {"non-service-base-classes": ["lib.adapters.Adapter"]}) == []


def test_unadopted_hierarchy_gets_one_luc101_and_nothing_else(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "lib/__init__.py": "",
            "lib/service.py": "class Service:" + SWALLOW,
            "lib/multi.py": """
                from lib.service import Service

                class MultiService(Service):
                    pass

                class TimerService(MultiService):
                    def tick(self):
                        try:
                            pass
                        except:
                            pass
            """,
        },
    )
    assert run(tmp_path) == [("lib/service.py", 1, "LUC101")]


def test_subclass_of_an_interface_named_like_a_service_is_judged(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "lib/__init__.py": "",
            "lib/api.py": """
                from zope.interface import Interface

                class IStoreService(Interface):
                    def put(key): ...

                class IArchiveService(IStoreService):
                    def archive(key): ...
            """,
            "lib/impl.py": """
                from lib.api import IStoreService

                class StoreService(IStoreService):
                    pass
            """,
        },
    )
    assert run(tmp_path) == [("lib/impl.py", 3, "LUC101")]


def test_exceptions_and_models_are_followed_through_the_index(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/errors.py": """
                class AppException(Exception):
                    pass

                class Invalid(AppException):
                    pass
            """,
            "app/models.py": """
                from pydantic import BaseModel

                class Record(BaseModel):
                    pass
            """,
            "app/services.py": """
                from app import errors
                from app.models import Record

                class TooOldService(errors.Invalid):
                    pass

                class RecordService(Record):
                    pass

                class ExternalService(Adapter):
                    pass
            """,
        },
    )
    assert run(tmp_path) == [("app/services.py", 10, "LUC101")]
    config = {"non-service-base-classes": ["Adapter"]}
    assert run(tmp_path, config) == []


def test_generated_files_are_no_service_code(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "api_pb2_grpc.py": "class OrderService(object):" + SWALLOW,
            "client.py": "# Code generated by a tool. DO NOT EDIT.\n\nclass BillService:" + SWALLOW,
            "written.py": "import lucent_runtime\n\nclass BillService:" + SWALLOW,
        },
    )
    assert run(tmp_path) == [("written.py", 3, "LUC101"), ("written.py", 7, "LUC601")]


def test_is_generated() -> None:
    assert is_generated("x/orders_pb2.py", "")
    assert is_generated("x.py", '"""@generated by thrift"""\n')
    assert is_generated("x.py", "# Generated by Django 5.0 on 2024-01-01\n")
    assert not is_generated("x.py", "import os\n" * 20 + "# DO NOT EDIT below\n")
    assert not is_generated("x.py", "class Generator:\n    pass\n")
    assert is_generated("x.py", '"""Generated by the API generator."""\n')
    # a service that merely mentions what others generated is written by people
    assert not is_generated("x.py", '"""Settles trades generated by the matching engine."""\n')
    assert not is_generated("x.py", "# Reports are generated by the risk engine\n")


def test_namespace_packages_resolve_through_source_roots(tmp_path: Path) -> None:
    files = {
        "pyproject.toml": "[tool.lucent-lint]\n",
        "code/services/common/base.py": """
            from lucent_runtime import LucentServiceBase

            class PlatformBase(LucentServiceBase):
                pass
        """,
        "code/services/orders/service.py": """
            from services.common.base import PlatformBase

            class OrderService(PlatformBase):
                pass
        """,
    }
    write(tmp_path, files)
    # ``code/`` is no source root by default: the base is not found
    assert run(tmp_path) == [("code/services/orders/service.py", 3, "LUC101")]
    assert run(tmp_path, {"src": ["code"]}) == []


def test_handler_decorators_count_only_from_the_runtime() -> None:
    nameko = """
from nameko.events import event_handler

import lucent_runtime as lr


class NotifyService(lr.UserServiceBase):
    @event_handler("srcservice", "testevent")
    async def relay(self, payload):
        return payload

    @lr.event_handler("trade_executed")
    async def on_trade(self, event):
        await self.handle_domain_event(event, self._noop)
"""
    assert pairs(lint_text(nameko, {"select": ["LUC302", "LUC501"]})) == [(12, "LUC302")]
    bare = """
import lucent_runtime


class NotifyService(lucent_runtime.UserServiceBase):
    @event_handler("trade_executed")
    async def relay(self, event):
        await self.handle_domain_event(event, self._noop)
"""
    assert pairs(lint_text(bare, {"select": ["LUC302"]})) == []


def test_a_reexport_from_the_own_package_counts() -> None:
    source = """
import lucent_runtime
from .framework import event_handler


class NotifyService(lucent_runtime.UserServiceBase):
    @event_handler("trade_executed")
    async def relay(self, event):
        await self.handle_domain_event(event, self._noop)
"""
    found = lint_text(source, {"select": ["LUC302"]}, path="app/notify.py", module="app.notify")
    assert pairs(found) == [(7, "LUC302")]


def test_twisted_and_loguru_error_logging_is_logging() -> None:
    source = """
from loguru import logger
from twisted.python import log
from twisted.python.log import err

import lucent_runtime


class NotifyService(lucent_runtime.UserServiceBase):
    def a(self):
        try:
            pass
        except KeyError as exc:
            log.err(exc, "no recipient")

    def b(self):
        try:
            pass
        except KeyError:
            err(None, "lost")

    def c(self):
        try:
            pass
        except KeyError:
            logger.opt(exception=True).warning("no body")

    def d(self):
        try:
            pass
        except KeyError:
            self.log.failure("no x")

    def e(self):
        try:
            pass
        except KeyError:
            msg("not an error log")
"""
    assert pairs(lint_text(source, {"select": ["LUC601"]})) == [(37, "LUC601")]
