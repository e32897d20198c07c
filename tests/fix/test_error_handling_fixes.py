"""LUC604 (bare except) and LUC602 (raise without cause): safe fixes, overlaps included."""

from __future__ import annotations

import re
import textwrap

from .helpers import codes, fix_text, fixed

HEAD = "from lucent_runtime import CryptoTradingServiceBase\n\n\n"


def service(body: str) -> str:
    return (
        HEAD
        + "class TradingService(CryptoTradingServiceBase):\n"
        + textwrap.indent(textwrap.dedent(body), "    ")
    )


def test_bare_except_becomes_except_exception_keeping_comments() -> None:
    source = service(
        """\
        async def run(self):
            try:
                await self.go()
            except:  # the exchange is flaky

                self.logger.error("failed", {"step": "go"}, None)
        """
    )
    assert fixed(source) == source.replace("except:", "except Exception:")


def test_bare_except_with_odd_spacing() -> None:
    source = service(
        """\
        async def run(self):
            try:
                await self.go()
            except :
                raise
        """
    )
    assert "except BaseException:" in fixed(source)  # it re-raises


def test_raise_gains_the_handler_name_as_cause() -> None:
    source = service(
        """\
        async def run(self):
            try:
                await self.go()
            except ValueError as problem:
                raise RuntimeError("bad value")
        """
    )
    result = fixed(source)
    assert 'raise RuntimeError("bad value") from problem\n' in result
    assert codes(fix_text(source)) == []


def test_handler_without_name_gets_one_that_shadows_nothing() -> None:
    source = service(
        """\
        async def run(self, err):
            error = err
            try:
                await self.go(error)
            except (KeyError, ValueError):
                raise RuntimeError("lookup failed")
        """
    )
    result = fixed(source)
    assert "except (KeyError, ValueError) as exc:" in result
    assert 'raise RuntimeError("lookup failed") from exc' in result


def test_rebound_handler_name_is_not_used_as_cause() -> None:
    source = service(
        """\
        async def run(self):
            try:
                await self.go()
            except ValueError as err:
                err = RuntimeError("shadowed")
                raise LookupError("x")
        """
    )
    run = fix_text(source)
    assert run.fixed == 0
    assert "LUC602" in codes(run)
    assert run.files[0].fixed == source


def test_nested_excepts_each_chain_their_own_error() -> None:
    source = service(
        """\
        async def run(self):
            try:
                await self.go()
            except ValueError:
                try:
                    await self.undo()
                except KeyError:
                    raise LookupError("undo failed")
                raise RuntimeError("go failed")
        """
    )
    result = fixed(source)
    outer = re.search(r"except ValueError as (\w+):", result)
    inner = re.search(r"except KeyError as (\w+):", result)
    assert outer and inner and outer.group(1) != inner.group(1)
    assert f'raise LookupError("undo failed") from {inner.group(1)}' in result
    assert f'raise RuntimeError("go failed") from {outer.group(1)}' in result
    assert codes(fix_text(result)) == []


def test_two_fixes_on_one_line() -> None:
    source = service(
        """\
        async def run(self):
            try:
                await self.go()
            except: raise RuntimeError("go failed")
        """
    )
    run = fix_text(source)
    assert run.fixed == 2
    assert 'except Exception as err: raise RuntimeError("go failed") from err\n' in (fixed(source))
    assert codes(run) == []


def test_two_raises_in_one_unnamed_handler() -> None:
    source = service(
        """\
        async def run(self, flag):
            try:
                await self.go()
            except OSError:
                if flag:
                    raise RuntimeError("a")
                raise LookupError("b")
        """
    )
    result = fixed(source)
    assert result.count(" from err") == 2
    assert result.count(" as err") == 1


def test_raise_from_none_and_reraise_are_left_alone() -> None:
    source = service(
        """\
        async def run(self):
            try:
                await self.go()
            except ValueError as err:
                if err.args:
                    raise
                raise RuntimeError("hidden") from None
        """
    )
    run = fix_text(source)
    assert run.fixed == 0
    assert run.files[0].fixed == source


def test_module_level_handler_in_service_module() -> None:
    source = HEAD + textwrap.dedent(
        """\
        err = 1
        try:
            import ujson as json
        except ImportError:
            raise RuntimeError("ujson is required")
        """
    )
    result = fixed(source)
    assert "except ImportError as error:" in result
    assert "from error" in result
