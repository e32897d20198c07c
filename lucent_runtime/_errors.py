"""The exception tree of the runtime. Every error the runtime raises is a ``LucentError``.

LucentError
├── ConfigurationError        bad environment or infrastructure settings
├── BusinessContextError      a business context that cannot be built
├── NamingError               an event type, command type or stream id breaking the rules
├── ConcurrencyError          a stale expected_version on append
├── PayloadError              event or command data that cannot be encoded as JSON
│   ├── PayloadTooLargeError  a message over the server's max_payload (names both sizes)
│   └── MessageDecodeError    a delivered message that can never be decoded
├── EventStoreError           the event store failed; ``may_be_stored`` says whether the
│   │                         event may have been stored all the same
│   └── StoreUnavailableError the store could not be reached within the retry window
├── MessagingError            the message bus failed (closed, unreachable)
├── ProcessDefinitionError    a business process declared without steps or with bad ones
├── ProcessStepError          a failing step of a business process (cause kept)
└── CommandError              a command that did not succeed
    ├── CommandTimeoutError   no reply within the timeout
    ├── NoHandlerError        no service answers the command's subject
    └── RemoteCommandError    the remote handler raised; carries its error and context
"""

from __future__ import annotations

from typing import Any


class LucentError(Exception):
    """Base of every error raised by ``lucent_runtime``."""


class ConfigurationError(LucentError):
    """The environment or infrastructure settings are invalid."""


class BusinessContextError(LucentError, ValueError):
    """A business context is incomplete (no aggregate) or holds an invalid value."""


class NamingError(LucentError, ValueError):
    """A name breaks the naming rules (event type, command type, stream id, service)."""


class ConcurrencyError(LucentError):
    """An append's ``expected_version`` does not match the stream's current version."""

    def __init__(self, stream_id: str, expected: int, actual: int) -> None:
        super().__init__(
            f"stream {stream_id!r} is at version {actual}, expected version {expected}"
        )
        self.stream_id = stream_id
        self.expected_version = expected
        self.actual_version = actual


class PayloadError(LucentError, TypeError):
    """Event or command data is not JSON-encodable (dicts, lists, scalars, pydantic models,
    dataclasses are)."""


class PayloadTooLargeError(PayloadError):
    """A message is larger than the server accepts (``size`` and ``limit`` in bytes)."""

    def __init__(self, what: str, size: int, limit: int) -> None:
        super().__init__(f"{what} is {size} bytes, over the server's max_payload of {limit} bytes")
        self.size = size
        self.limit = limit


class MessageDecodeError(PayloadError):
    """A delivered message that no retry can decode; it is dead-lettered at once."""


class EventStoreError(LucentError):
    """The event store failed. ``may_be_stored`` is False when the event was certainly
    not stored, True when it may have been (a retry with the same event id is safe)."""

    def __init__(self, message: str, *, may_be_stored: bool = False) -> None:
        super().__init__(message)
        self.may_be_stored = may_be_stored


class StoreUnavailableError(EventStoreError):
    """The event store did not answer within the retry window (server down or
    restarting)."""


class MessagingError(LucentError):
    """The message bus failed: closed, or its server unreachable."""


class ProcessDefinitionError(LucentError, TypeError):
    """A business process has no steps, or a step without a name or a callable."""


class ProcessStepError(LucentError):
    """A step of a business process failed; ``__cause__`` is the original error."""

    def __init__(self, process: str, step: str, step_number: int, cause: BaseException) -> None:
        super().__init__(
            f"business process {process!r} failed at step {step_number} {step!r}: "
            f"{type(cause).__name__}: {cause}"
        )
        self.process = process
        self.step = step
        self.step_number = step_number


class CommandError(LucentError):
    """A command sent with ``send_command`` did not succeed. ``subject`` is the NATS
    subject it was sent on; a back-end may leave the service and command names empty."""

    def __init__(
        self,
        message: str,
        *,
        target_service: str = "",
        command_type: str = "",
        subject: str = "",
    ) -> None:
        super().__init__(message)
        self.target_service = target_service
        self.command_type = command_type
        self.subject = subject


class CommandTimeoutError(CommandError, TimeoutError):
    """No reply arrived within the command's timeout."""


class NoHandlerError(CommandError):
    """No service is subscribed to the command's subject."""


class RemoteCommandError(CommandError):
    """The remote handler raised. ``remote_error`` holds its type and message,
    ``business_context`` and ``correlation_id`` the context it ran in."""

    def __init__(
        self,
        message: str,
        *,
        target_service: str,
        command_type: str,
        remote_error: dict[str, Any],
        business_context: dict[str, Any] | None = None,
        correlation_id: str | None = None,
        subject: str = "",
    ) -> None:
        super().__init__(
            message, target_service=target_service, command_type=command_type, subject=subject
        )
        self.remote_error = remote_error
        self.business_context = business_context or {}
        self.correlation_id = correlation_id
