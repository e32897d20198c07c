"""LUC101/LUC102 follow base classes through every file of a repository.

Each test writes a small repository of packages to a temporary directory and runs a whole
check over it, as the command line does.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from lucent_lint.config import Settings, settings_from_mapping
from lucent_lint.engine.check import check_source
from lucent_lint.engine.project import module_name_for, scan_classes
from lucent_lint.engine.registry import Selection
from lucent_lint.run.runner import run_check

BASES = ("LUC101", "LUC102")


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def check(root: Path, config: dict | None = None) -> list[tuple[str, int, int, str]]:
    settings = settings_from_mapping(config) if config else Settings()
    selection = Selection(settings.select, settings.ignore, settings.extend_select)
    run = run_check([root], settings, root, selection)
    assert run.errors == []
    return sorted(
        (Path(f.path).resolve().relative_to(root.resolve()).as_posix(), f.line, f.column, f.code)
        for f in run.findings
        if f.code in BASES
    )


SERVICE = """
from {module} import {name}


class ArbitrageService({name}):
    pass
"""


def chain(top_base: str, *, relative: bool) -> dict[str, str]:
    """``ArbitrageService(A)``, ``A(B)`` in another package, ``B(C)``, ``C(top_base)``."""
    mid = "from ..core.c import C" if relative else "from app.core.c import C"
    service_import = "from .mid.b import B" if relative else "from app.mid.b import B"
    return {
        "app/__init__.py": "",
        "app/core/__init__.py": "",
        "app/mid/__init__.py": "",
        "app/core/c.py": f"""
            from lucent_runtime import CryptoTradingServiceBase


            class C({top_base}):
                pass
            """,
        "app/mid/b.py": f"""
            {mid}


            class B(C):
                pass
            """,
        "app/service.py": f"""
            {service_import}


            class A(B):
                pass


            class ArbitrageService(A):
                pass
            """,
    }


@pytest.mark.parametrize("relative", [True, False], ids=["relative", "absolute"])
def test_chain_across_packages_reaches_the_runtime_base(tmp_path: Path, relative: bool) -> None:
    write(tmp_path, chain("CryptoTradingServiceBase", relative=relative))
    assert check(tmp_path) == []


@pytest.mark.parametrize("relative", [True, False], ids=["relative", "absolute"])
def test_chain_across_packages_that_ends_elsewhere_is_flagged(
    tmp_path: Path, relative: bool
) -> None:
    write(tmp_path, chain("object", relative=relative))
    assert check(tmp_path) == [("app/service.py", 8, 1, "LUC101")]


def test_reexport_through_package_init_with_alias(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "platform/__init__.py": "",
            "platform/bases/__init__.py": """
                from .trading import TradingBase as Base
                from .plain import PlainBase
                """,
            "platform/bases/trading.py": """
                import lucent_runtime as lr


                class TradingBase(lr.CryptoTradingServiceBase):
                    pass
                """,
            "platform/bases/plain.py": """
                class PlainBase:
                    pass
                """,
            "platform/services.py": """
                import platform.bases as bases
                from platform.bases import Base, PlainBase


                class RiskService(Base):
                    pass


                class LedgerService(bases.Base):
                    pass


                class AuditService(PlainBase):
                    pass
                """,
        },
    )
    assert check(tmp_path) == [("platform/services.py", 13, 1, "LUC101")]


def test_unparsed_middle_file(tmp_path: Path) -> None:
    files = {
        "svc/__init__.py": "",
        "svc/top.py": """
            from lucent_runtime import UserServiceBase as Users


            class Top(Users):
                pass
            """,
        # no lucent_runtime text, no Service-named class: scanned, not parsed
        "svc/middle.py": """
            from .top import Top


            class Middle(Top):
                def helper(self):
                    return 1
            """,
        "svc/accounts.py": """
            from svc.middle import Middle


            class AccountService(Middle):
                pass
            """,
    }
    write(tmp_path, files)
    settings = Settings()
    selection = Selection(settings.select, settings.ignore)
    data = (tmp_path / "svc/middle.py").read_bytes()
    module, is_package = module_name_for(tmp_path / "svc/middle.py")
    middle = check_source(data, "svc/middle.py", module, is_package, settings, selection)
    assert not middle.parsed
    assert middle.classes == {
        "svc.middle.Middle": ["svc.top.Top"],
        "svc.middle.Top": ["svc.top.Top"],
    }
    assert check(tmp_path) == []

    (tmp_path / "svc/top.py").write_text("class Top:\n    pass\n", encoding="utf-8")
    assert check(tmp_path) == [("svc/accounts.py", 4, 1, "LUC101")]


def test_runtime_base_reexported_by_a_project_module(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "core/__init__.py": "from lucent_runtime import CryptoTradingServiceBase\n",
            "core/yields.py": SERVICE.format(module="core", name="CryptoTradingServiceBase"),
        },
    )
    assert check(tmp_path) == []


def test_cycle_of_project_bases_terminates(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "loop/__init__.py": "",
            "loop/a.py": "from loop.b import B\n\n\nclass A(B):\n    pass\n",
            "loop/b.py": "from loop.a import A\n\n\nclass B(A):\n    pass\n",
            "loop/service.py": SERVICE.format(module="loop.a", name="A"),
        },
    )
    assert check(tmp_path) == [("loop/service.py", 4, 1, "LUC101")]


@pytest.mark.parametrize(
    "extra", ["PlatformServiceBase", "platform_sdk.PlatformServiceBase"], ids=["short", "qualified"]
)
def test_extra_base_classes_by_short_or_qualified_name(tmp_path: Path, extra: str) -> None:
    write(
        tmp_path,
        {
            "app/__init__.py": "",
            "app/base.py": """
                from platform_sdk import PlatformServiceBase


                class AppBase(PlatformServiceBase):
                    pass
                """,
            "app/direct.py": SERVICE.format(module="platform_sdk", name="PlatformServiceBase"),
            "app/through.py": SERVICE.format(module="app.base", name="AppBase"),
        },
    )
    assert check(tmp_path) == [
        ("app/direct.py", 4, 1, "LUC101"),
        ("app/through.py", 4, 1, "LUC101"),
    ]
    assert check(tmp_path, {"extra-base-classes": [extra]}) == []


def test_extra_base_class_qualified_name_must_match_the_module(tmp_path: Path) -> None:
    write(
        tmp_path,
        {"other.py": SERVICE.format(module="other_sdk", name="PlatformServiceBase")},
    )
    config = {"extra-base-classes": ["platform_sdk.PlatformServiceBase"]}
    assert check(tmp_path, config) == [("other.py", 4, 1, "LUC101")]


def test_base_mismatch_through_a_project_base(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "users/__init__.py": "",
            "users/base.py": """
                from lucent_runtime import UserServiceBase


                class AccountsBase(UserServiceBase):
                    pass
                """,
            "users/accounts.py": """
                import lucent_runtime as lr

                from .base import AccountsBase


                class AccountService(AccountsBase):
                    async def open(self, user_id):
                        context = (
                            lr.BusinessContextBuilder.for_yield_farming()
                            .with_aggregate("Account", f"account-{user_id}")
                            .build()
                        )
                        return await self.execute_business_operation(
                            "open", context, lambda ctx: None
                        )


                class ProfileService(AccountsBase):
                    async def update(self, user_id):
                        context = (
                            lr.BusinessContextBuilder.for_user_management()
                            .with_aggregate("User", f"user-{user_id}")
                            .build()
                        )
                        return await self.execute_business_operation(
                            "update", context, lambda ctx: None
                        )
                """,
        },
    )
    assert check(tmp_path) == [("users/accounts.py", 6, 1, "LUC102")]


def test_decorated_service_is_reported_at_the_class_keyword(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "deco.py": """
                import functools

                from pkg_elsewhere import Base


                @functools.total_ordering
                class QuoteService(Base):
                    pass


                @functools.total_ordering
                class PriceService:
                    pass
                """,
        },
    )
    assert check(tmp_path) == [("deco.py", 7, 1, "LUC101"), ("deco.py", 12, 1, "LUC101")]


def test_text_scan_reads_parenthesised_imports_with_comments() -> None:
    text = textwrap.dedent(
        """
        from .base import (
            TradingBase,  # the project's trading base
            UserBase as Users,
        )
        import platform_sdk.bases as sdk


        class Ledger(TradingBase, metaclass=Meta):
            pass


        class Accounts(Users, sdk.Base[int]):
            class Nested(Users):
                pass
        """
    )
    assert scan_classes(text, "pkg.mod", False) == {
        "pkg.mod.TradingBase": ["pkg.base.TradingBase"],
        "pkg.mod.Users": ["pkg.base.UserBase"],
        "pkg.mod.Ledger": ["pkg.base.TradingBase"],
        "pkg.mod.Accounts": ["pkg.base.UserBase", "platform_sdk.bases.Base"],
    }
