"""Decoding of the Kubernetes protobuf encoding for the objects kubectl sends that way.

``kubectl create secret|namespace|serviceaccount`` POSTs
``application/vnd.kubernetes.protobuf`` bodies and has no JSON fallback, so the
simulator reads that encoding for Secret, Namespace and ServiceAccount (fields of
``k8s.io/api/core/v1/generated.proto``); other kinds are refused with 415.
Responses are always JSON, which such clients also accept.
"""

from __future__ import annotations

import base64
from typing import Any, Union

from exporter.simulator.errors import ApiError

JSONObject = dict[str, Any]
MAGIC = b"k8s\x00"
# A field is (json name, kind, repeated); kind is "string", "bytes", "bool", "int",
# "map" (string → string), "bytesmap" (string → base64 bytes) or a nested schema.
Schema = dict[int, tuple[str, Union[str, "Schema"], bool]]

OBJECT_META: Schema = {
    1: ("name", "string", False),
    2: ("generateName", "string", False),
    3: ("namespace", "string", False),
    5: ("uid", "string", False),
    6: ("resourceVersion", "string", False),
    7: ("generation", "int", False),
    11: ("labels", "map", False),
    12: ("annotations", "map", False),
    14: ("finalizers", "string", True),
}
OBJECT_REFERENCE: Schema = {
    1: ("kind", "string", False),
    2: ("namespace", "string", False),
    3: ("name", "string", False),
    4: ("uid", "string", False),
    5: ("apiVersion", "string", False),
}
SCHEMAS: dict[str, Schema] = {
    "Secret": {
        1: ("metadata", OBJECT_META, False),
        2: ("data", "bytesmap", False),
        3: ("type", "string", False),
        4: ("stringData", "map", False),
        5: ("immutable", "bool", False),
    },
    "Namespace": {
        1: ("metadata", OBJECT_META, False),
        2: ("spec", {1: ("finalizers", "string", True)}, False),
        3: ("status", {1: ("phase", "string", False)}, False),
    },
    "ServiceAccount": {
        1: ("metadata", OBJECT_META, False),
        2: ("secrets", OBJECT_REFERENCE, True),
        3: ("imagePullSecrets", {1: ("name", "string", False)}, True),
        4: ("automountServiceAccountToken", "bool", False),
    },
}
_UNKNOWN: Schema = {
    1: ("typeMeta", {1: ("apiVersion", "string", False), 2: ("kind", "string", False)}, False),
    2: ("raw", "bytes", False),
}


def _varint(data: bytes, position: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        byte = data[position]
        position += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, position
        shift += 7


def read_fields(data: bytes) -> list[tuple[int, int | bytes]]:
    """(field number, value) pairs: ints for varints, bytes for everything else."""
    out: list[tuple[int, int | bytes]] = []
    position = 0
    while position < len(data):
        key, position = _varint(data, position)
        number, wire = key >> 3, key & 7
        value: int | bytes
        if wire == 0:
            value, position = _varint(data, position)
        elif wire == 2:
            length, position = _varint(data, position)
            value, position = data[position : position + length], position + length
        elif wire == 1:
            value, position = data[position : position + 8], position + 8
        elif wire == 5:
            value, position = data[position : position + 4], position + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        out.append((number, value))
    return out


def _decode(data: bytes, schema: Schema) -> JSONObject:
    obj: JSONObject = {}
    for number, value in read_fields(data):
        if number not in schema:
            continue
        name, kind, repeated = schema[number]
        decoded: Any
        if isinstance(kind, dict):
            decoded = _decode(_bytes(value), kind)
        elif kind in ("map", "bytesmap"):
            entry = dict(read_fields(_bytes(value)))
            key = _bytes(entry.get(1, b"")).decode()
            raw = _bytes(entry.get(2, b""))
            text = base64.b64encode(raw).decode() if kind == "bytesmap" else raw.decode()
            obj.setdefault(name, {})[key] = text
            continue
        elif kind == "string":
            decoded = _bytes(value).decode()
        elif kind == "bytes":
            decoded = _bytes(value)
        else:
            decoded = bool(value) if kind == "bool" else value
        if repeated:
            obj.setdefault(name, []).append(decoded)
        elif decoded not in ("", 0):  # Go writes zero values; JSON would omit them
            obj[name] = decoded
    return obj


def _bytes(value: int | bytes) -> bytes:
    if isinstance(value, int):
        raise ValueError("expected a length-delimited field")
    return value


def decode_object(body: bytes) -> JSONObject:
    """A JSON-shaped object from a protobuf request body; 415 for kinds not handled."""
    try:
        if not body.startswith(MAGIC):
            raise ValueError("missing the k8s protobuf magic number")
        envelope = _decode(body[len(MAGIC) :], _UNKNOWN)
        type_meta = envelope.get("typeMeta", {})
        kind = type_meta.get("kind", "")
        schema = SCHEMAS.get(kind)
        if schema is None:
            raise ApiError(
                415,
                "UnsupportedMediaType",
                f"the simulator reads protobuf only for {', '.join(SCHEMAS)}; "
                f"send {kind} as application/json",
            )
        obj = _decode(envelope.get("raw", b""), schema)
    except (ValueError, IndexError) as error:
        raise ApiError(
            400, "BadRequest", f"the body of the request could not be decoded: {error}"
        ) from None
    return {"kind": kind, "apiVersion": type_meta.get("apiVersion", "v1"), **obj}
