"""A nats-py client that reconnects when the server closes the connection on an error.

nats-py closes the connection for good on any ``-ERR`` from the server (a subject over the
control-line limit, say), so one bad message would break every later call. The runtime
checks sizes before sending, but if the server closes the connection anyway, this client
reports the error and reconnects as it does after a network failure.
"""

from __future__ import annotations

from nats import errors
from nats.aio.client import AUTHORIZATION_VIOLATION, PERMISSIONS_ERR, STALE_CONNECTION, Client

__all__ = ["RecoveringClient"]


class RecoveringClient(Client):
    """:class:`nats.aio.client.Client` that reconnects after a server ``-ERR``."""

    async def _process_err(self, err_msg: str) -> None:
        recoverable = not any(
            marker in err_msg
            for marker in (AUTHORIZATION_VIOLATION, PERMISSIONS_ERR, STALE_CONNECTION)
        )
        if not (recoverable and self.is_connected and self.options["allow_reconnect"]):
            await super()._process_err(err_msg)
            return
        error = errors.Error(f"nats: {err_msg.strip(chr(39))}")
        await self._error_cb(error)
        await self._process_op_err(error)
