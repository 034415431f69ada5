"""JSON request bodies, decoded strictly into the type the route declares.

Litestar decodes a JSON body into plain Python objects and then converts those with msgspec in
its lax mode, which is made for query strings and forms, where everything is text: the string
"10" became the number 10. A JSON body has types of its own, so here it is decoded once,
strictly, straight into the type the route declares (a msgspec Struct with its bounds, see
``web/params.py``): a string for a number is refused, and so is anything nested where the type
has no nesting, before a single object of it is built (a body nested some 950 deep exhausted the
decoder's recursion limit in a worker thread, a 500). Litestar's conversion then receives the
finished value and passes it through unchanged.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException
from litestar.types import Empty

_LOCATION = re.compile(r"^(?P<message>.*?)(?: - at `\$\.?(?P<key>[^`]*)`)?$", re.DOTALL)


@cache
def _decoder(body_type: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(body_type, strict=True)


def _declared_body_type(request: Request[Any, Any, Any]) -> Any:
    field = request.route_handler.parsed_fn_signature.parameters.get("data")
    return Any if field is None else field.annotation


def _refusal(request: Request[Any, Any, Any], message: str) -> ValidationException:
    """A 400 shaped as Litestar's own validation errors: the message and the field it is about."""
    match = _LOCATION.match(message)
    entry: dict[str, str] = {"message": match["message"] if match else message, "source": "body"}
    if match and match["key"]:
        entry["key"] = match["key"]
    return ValidationException(detail=f"Validation failed for {request.method} {request.url.path}", extra=[entry])


class JSONBodyRequest(Request[Any, Any, Any]):
    """A request whose JSON body is decoded strictly into the route's declared body type."""

    async def json(self) -> Any:
        if self._json is not Empty:
            return self._json
        if (cached := self._connection_state.json) is not Empty:
            self._json = cached
            return cached
        body = await self.body()
        try:
            value = _decoder(_declared_body_type(self)).decode(body or b"null")
        except msgspec.ValidationError as error:
            raise _refusal(self, str(error)) from None
        except msgspec.DecodeError as error:
            raise _refusal(self, f"The body is not valid JSON: {error}") from None
        except RecursionError:
            raise _refusal(self, "The body is nested too deeply.") from None
        self._json = self._connection_state.json = value
        return value
