"""Decoding of LIST pages and watch lines, straight into the fields the exporter reads.

A page of 500 pods is ~2 MiB of JSON of which the reducers read a few percent. ``json.loads``
builds all of it; msgspec, given the Structs of :mod:`exporter.kube.types`, skips every other
field without materialising it and builds the rest as untracked, immutable objects: at
150,000 pods that is about 0.7 s instead of 6 s of decoding, and nothing for the garbage
collector to walk.

Cluster data is untrusted: an object whose declared fields have types no API server sends
(a number for a name, ``null`` for a list) or that msgspec refuses (a lone UTF-16 surrogate)
is decoded again by ``json.loads`` and then :func:`convert`-ed, leniently: a field of the
wrong type reads as absent, a list entry of the wrong type is left out. Such an object is
still seen, and reported like any other malformed input; only it takes the slow path, not
the rest of its page.

>>> pods = decoder_for("pods")
>>> page = pods.page(b'{"metadata":{"continue":"c2"},"items":[{"metadata":{"name":"a",'
...                  b'"managedFields":[{"manager":"kubelet"}]},"spec":{"nodeName":"n1"}}]}')
>>> page.items[0].metadata.name, page.metadata.continue_
('a', 'c2')
>>> pods.page(b'{"items":[{"metadata":{"name":7,"namespace":"ns"}}]}').items[0].metadata
NameMeta(name='', namespace='ns', resourceVersion='')
>>> pods.event(b'{"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired"}}')
('ERROR', {'kind': 'Status', 'code': 410, 'reason': 'Expired'})
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Any, Generic, TypeVar, cast

import msgspec

from exporter.kube.types import (
    Event,
    KubeStruct,
    ListMeta,
    Page,
    PartialObjectMetadata,
    Pod,
    Secret,
    ServiceAccount,
)

T = TypeVar("T", bound=KubeStruct)
JSONObject = dict[str, Any]
_ABSENT: Any = object()
"""What a converter returns for a value of the wrong type: the field keeps its default."""


class Malformed(ValueError):
    """The bytes are not a JSON object (or nest deeper than any decoder will follow)."""


class _RawPage(msgspec.Struct, frozen=True, gc=False):
    """A page whose items are decoded one by one: the slow path of a malformed page."""

    metadata: msgspec.Raw = msgspec.Raw(b"{}")
    items: list[msgspec.Raw] = []


class _Line(msgspec.Struct, frozen=True, gc=False):
    type: str = ""
    object: msgspec.Raw = msgspec.Raw()  # not ``Raw | None``: msgspec then accepts only null


class Decoder(Generic[T]):
    """Decodes pages, objects and watch lines of one resource into ``T``."""

    def __init__(self, item: type[T]) -> None:
        self.item = item
        self._page = msgspec.json.Decoder(Page[item])  # type: ignore[valid-type]
        self._object = msgspec.json.Decoder(item)
        self._raw_page = msgspec.json.Decoder(_RawPage)
        self._line = msgspec.json.Decoder(_Line)

    def page(self, body: bytes) -> Page[T]:
        """A LIST response: ``metadata`` (continue, resourceVersion) and ``items``."""
        try:
            return cast(Page[T], self._page.decode(body))
        except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
            pass
        try:
            raw = self._raw_page.decode(body)
        except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
            return convert(Page[self.item], _loads(body))  # type: ignore[name-defined]
        return Page(metadata=self._decode(ListMeta, raw.metadata), items=self._items(raw.items))

    def _items(self, items: list[msgspec.Raw]) -> tuple[T, ...]:
        decoded = []
        for item in items:
            try:
                decoded.append(self._object.decode(item))
            except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
                whole = _json(item)  # bytes that are not JSON: the whole body is broken
                if isinstance(whole, dict):  # anything else is not an item at all
                    decoded.append(convert(self.item, whole))
        return tuple(decoded)

    def object(self, body: bytes | msgspec.Raw) -> T:
        """One object (a GET response, a page's item or the object of a watch event)."""
        return cast(T, self._decode(self.item, body))

    def convert(self, obj: JSONObject) -> T:
        """A JSON object already decoded (a test's, a tool's), converted leniently."""
        return convert(self.item, _object(obj))

    def event(self, line: bytes) -> tuple[str, T | JSONObject]:
        """``(type, object)`` of a watch line; an ERROR's object is a Status, kept whole."""
        try:
            decoded = self._line.decode(line)
        except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
            whole = _loads(line)
            event_type = str(whole.get("type", ""))
            if event_type == "ERROR":
                return event_type, _object(whole.get("object"))
            return event_type, convert(self.item, _object(whole.get("object")))
        if not decoded.object:
            raise Malformed("watch line has no object")
        if decoded.type == "ERROR":
            return decoded.type, _loads(decoded.object)
        return decoded.type, self.object(decoded.object)

    def _decode(self, schema: Any, body: bytes | msgspec.Raw) -> Any:
        decoder = self._object if schema is self.item else _object_decoder(schema)
        try:
            return decoder.decode(body)
        except (msgspec.ValidationError, msgspec.DecodeError, RecursionError):
            return convert(schema, _loads(body))


@cache
def _object_decoder(schema: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(schema)


def _loads(body: bytes | msgspec.Raw) -> JSONObject:
    return _object(_json(body))


def _json(body: bytes | msgspec.Raw) -> object:
    try:
        return json.loads(bytes(body))
    except (ValueError, RecursionError):
        raise Malformed("not JSON") from None


def _object(value: object) -> JSONObject:
    if not isinstance(value, dict):
        raise Malformed("not a JSON object")
    return cast(JSONObject, value)


def convert(schema: type[T], obj: JSONObject) -> T:
    """``obj`` (``json.loads`` output) as ``schema``: wrong types read as absent."""
    converted: T = _converter(schema)(obj)
    return schema() if converted is _ABSENT else converted


Converter = Callable[[object], Any]


@cache
def _converter(schema: Any) -> Converter:
    """The lenient converter of a schema type, built once from its annotations."""
    origin, args = typing.get_origin(schema), typing.get_args(schema)
    if origin in (types.UnionType, typing.Union):  # X | None: null reads as absent
        (inner,) = [a for a in args if a is not type(None)]
        return _converter(inner)
    if origin is tuple:
        return _sequence(_converter(args[0]))
    if origin is dict:
        return _mapping(_converter(args[1]))
    if schema is str:
        return lambda v: v if isinstance(v, str) else _ABSENT
    if schema is int:
        return lambda v: v if isinstance(v, int) and not isinstance(v, bool) else _ABSENT
    if schema is object:
        return lambda v: v
    struct = origin if origin is not None else schema
    if isinstance(struct, type) and issubclass(struct, msgspec.Struct):
        return _struct(schema)
    raise TypeError(f"no lenient conversion for {schema!r}")


def _sequence(element: Converter) -> Converter:
    def convert_sequence(value: object) -> Any:
        if not isinstance(value, list):
            return _ABSENT
        return tuple(c for c in map(element, value) if c is not _ABSENT)

    return convert_sequence


def _mapping(element: Converter) -> Converter:
    def convert_mapping(value: object) -> Any:
        if not isinstance(value, dict):
            return _ABSENT
        converted = ((k, element(v)) for k, v in value.items())
        return {k: v for k, v in converted if v is not _ABSENT}

    return convert_mapping


def _struct(schema: Any) -> Converter:
    info = cast(msgspec.inspect.StructType, msgspec.inspect.type_info(schema))
    hints = typing.get_type_hints(typing.get_origin(schema) or schema)
    parameters = dict(zip(_type_parameters(schema), typing.get_args(schema), strict=False))
    fields = [
        (f.name, f.encode_name, _converter(_substitute(hints[f.name], parameters)))
        for f in info.fields
    ]
    cls = info.cls

    def convert_struct(value: object) -> Any:
        if not isinstance(value, dict):
            return _ABSENT
        kwargs = {}
        for name, key, field_converter in fields:
            if key in value and (v := field_converter(value[key])) is not _ABSENT:
                kwargs[name] = v
        return cls(**kwargs)

    return convert_struct


def _type_parameters(schema: Any) -> tuple[Any, ...]:
    origin = typing.get_origin(schema)
    return cast(tuple[Any, ...], getattr(origin, "__parameters__", ())) if origin else ()


def _substitute(hint: Any, parameters: dict[Any, Any]) -> Any:
    """``hint`` with a generic Struct's type variables replaced (``tuple[T, ...]``)."""
    if hint in parameters:
        return parameters[hint]
    args = typing.get_args(hint)
    if not args or not parameters:
        return hint
    substituted = tuple(_substitute(a, parameters) for a in args)
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        return typing.Union[substituted]  # noqa: UP007  (built from a tuple)
    return origin[substituted]


_DECODERS: dict[str, Decoder[Any]] = {
    "pods": Decoder(Pod),
    "events": Decoder(Event),
    "secrets": Decoder(Secret),
    "secrets/metadata": Decoder(PartialObjectMetadata),
    "serviceaccounts": Decoder(ServiceAccount),
}


def decoder_for(resource: str, *, metadata_only: bool = False) -> Decoder[Any]:
    """The decoder of a watched resource (plural name); unknown resources (and
    metadata-only requests) are decoded as their metadata only."""
    key = f"{resource}/metadata" if metadata_only else resource
    return _DECODERS.get(key) or _DECODERS["secrets/metadata"]


def loads_object(body: bytes) -> JSONObject:
    """Every field of a JSON object: for requests outside the reflectors' hot path."""
    return _loads(body)
