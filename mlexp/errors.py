"""One error hierarchy: domain failures that map onto MLflow's error codes and HTTP statuses.

Nothing here knows about Flask; mlexp.http.errors turns these into responses.
"""
from enum import Enum


class ErrorCode(str, Enum):
    """The subset of MLflow's databricks.ErrorCode names that mlexp emits."""

    INTERNAL_ERROR = "INTERNAL_ERROR"
    INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
    RESOURCE_DOES_NOT_EXIST = "RESOURCE_DOES_NOT_EXIST"
    RESOURCE_ALREADY_EXISTS = "RESOURCE_ALREADY_EXISTS"
    ENDPOINT_NOT_FOUND = "ENDPOINT_NOT_FOUND"
    BAD_REQUEST = "BAD_REQUEST"
    TEMPORARILY_UNAVAILABLE = "TEMPORARILY_UNAVAILABLE"
    NOT_IMPLEMENTED = "NOT_IMPLEMENTED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    PERMISSION_DENIED = "PERMISSION_DENIED"


HTTP_STATUS = {
    ErrorCode.INTERNAL_ERROR: 500,
    ErrorCode.INVALID_PARAMETER_VALUE: 400,
    ErrorCode.RESOURCE_DOES_NOT_EXIST: 404,
    ErrorCode.RESOURCE_ALREADY_EXISTS: 400,
    ErrorCode.ENDPOINT_NOT_FOUND: 404,
    ErrorCode.BAD_REQUEST: 400,
    ErrorCode.TEMPORARILY_UNAVAILABLE: 503,
    ErrorCode.NOT_IMPLEMENTED: 501,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.PERMISSION_DENIED: 403,
}


class MlflowError(Exception):
    """A failure the MLflow client understands; `message` is shown to the user."""

    code = ErrorCode.INTERNAL_ERROR

    def __init__(self, message: str, *, status: int | None = None):
        """`status` overrides the code's HTTP status where HTTP says more (405, 413, 416…)."""
        super().__init__(message)
        self.message = message
        self._status = status

    @property
    def http_status(self) -> int:
        return self._status or HTTP_STATUS[self.code]

    def to_json(self) -> dict:
        return {"error_code": self.code.value, "message": self.message}


class InvalidParameter(MlflowError):
    code = ErrorCode.INVALID_PARAMETER_VALUE


class NotFound(MlflowError):
    code = ErrorCode.RESOURCE_DOES_NOT_EXIST


class AlreadyExists(MlflowError):
    code = ErrorCode.RESOURCE_ALREADY_EXISTS


class EndpointNotFound(MlflowError):
    code = ErrorCode.ENDPOINT_NOT_FOUND


class Busy(MlflowError):
    """The database stayed locked past the busy timeout; the client retries 503s."""

    code = ErrorCode.TEMPORARILY_UNAVAILABLE


class NotImplementedByServer(MlflowError):
    """A real MLflow call this server deliberately does not offer (the client gets 501)."""

    code = ErrorCode.NOT_IMPLEMENTED


class Unauthenticated(MlflowError):
    """No credentials, or a token that is unknown or revoked."""

    code = ErrorCode.UNAUTHENTICATED


class PermissionDenied(MlflowError):
    """Valid credentials whose scope does not allow the request."""

    code = ErrorCode.PERMISSION_DENIED
