"""The nats_server fixture gives a real server with JetStream enabled."""

from __future__ import annotations

import nats


async def test_nats_server_fixture_has_jetstream(nats_server: str) -> None:
    nc = await nats.connect(nats_server)
    try:
        js = nc.jetstream()
        await js.add_stream(name="PROBE", subjects=["probe.>"])
        ack = await js.publish("probe.one", b"hello")
        assert ack.seq == 1
        msg = await js.get_msg("PROBE", 1)
        assert msg.data == b"hello"
    finally:
        await nc.close()
