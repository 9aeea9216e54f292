"""Typed snapshots: a ticket, a counter or a booking as it is after a change, defined once as a frozen dataclass.

Each field says, in its metadata, who may see it on the wire (`audience`) and whether the database keeps it in a
column of its own (`column`); the snapshot's JSON form (`to_dict` / `from_dict`), the storage rows
(`persistence/storage.py`), the public and staff views (`live/wire.py`) and the OpenAPI schemas
(`web/openapi.py`) are all derived from these declarations. Adding a field is one line here (plus a migration
when it needs a column); a row written before the field existed loads with the field's default.
"""

from __future__ import annotations

import enum
import types
import typing
from collections.abc import Callable
from dataclasses import MISSING, Field, dataclass, field, fields
from datetime import date, datetime, time
from typing import Any, Literal, Self

# Who sees a field on the wire: everyone (a lobby screen, a citizen's phone), staff only, or nobody (it stays on
# the server: a NIK hash, the ticket token outside the one answer that hands it to its citizen).
Audience = Literal["public", "staff", "private"]
# A field with a column of its own: "fixed" is written once, "mutable" is updated with every new snapshot.
Column = Literal["fixed", "mutable"] | None


def snap(
    *, audience: Audience = "staff", column: Column = None, default: Any = MISSING, wire_as: str | None = None
) -> Any:
    """A snapshot field. `wire_as="flag"` shows a public field only as true/false (a priority ticket's group is
    health or family information; a lobby screen may only know that it is a priority ticket)."""
    metadata = {"audience": audience, "column": column, "wire_as": wire_as}
    return field(metadata=metadata) if default is MISSING else field(default=default, metadata=metadata)


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # JSON schema type: string, integer, boolean
    format: str | None  # date, date-time, time (HH:MM), or an enum's values
    enum: tuple[str, ...] | None
    optional: bool  # may be null
    required: bool  # has no default: a stored snapshot must carry it
    audience: Audience
    column: Column
    wire_as: str | None
    encode: Callable[[Any], Any] | None
    decode: Callable[[Any], Any] | None


def _codec(kind: type) -> tuple[str, str | None, tuple[str, ...] | None, Any, Any]:
    if kind is datetime:
        return "string", "date-time", None, datetime.isoformat, datetime.fromisoformat
    if kind is date:
        return "string", "date", None, date.isoformat, date.fromisoformat
    if kind is time:
        return "string", "time", None, lambda t: t.strftime("%H:%M"), time.fromisoformat
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        values = tuple(str(m.value) for m in kind)
        return "string", None, values, lambda e: e.value, kind
    if kind is bool:
        return "boolean", None, None, None, None
    if kind is int:
        return "integer", None, None, None, None
    return "string", None, None, None, None


_SPECS: dict[type, tuple[FieldSpec, ...]] = {}


def specs(cls: type) -> tuple[FieldSpec, ...]:
    """The fields of a snapshot class, in declaration order, with their codecs (worked out once per class)."""
    found = _SPECS.get(cls)
    if found is not None:
        return found
    hints = typing.get_type_hints(cls)
    out: list[FieldSpec] = []
    for f in fields(cls):
        kind, optional = hints[f.name], False
        if isinstance(kind, types.UnionType) or typing.get_origin(kind) is typing.Union:
            args = [a for a in typing.get_args(kind) if a is not type(None)]
            kind, optional = args[0], True
        json_kind, fmt, values, encode, decode = _codec(kind)
        out.append(
            FieldSpec(
                name=f.name,
                kind=json_kind,
                format=fmt,
                enum=values,
                optional=optional,
                required=_no_default(f),
                audience=f.metadata.get("audience", "staff"),
                column=f.metadata.get("column"),
                wire_as=f.metadata.get("wire_as"),
                encode=encode,
                decode=decode,
            )
        )
    _SPECS[cls] = found = tuple(out)
    return found


def _no_default(f: Field[Any]) -> bool:
    return f.default is MISSING and f.default_factory is MISSING


class Snapshot:
    """JSON form of a snapshot dataclass, derived from its fields. The two functions are generated once per class
    as plain Python (as dataclasses generates __init__): a loop over the fields was 2-3 times slower, and every
    event carries a snapshot."""

    def to_dict(self) -> dict[str, Any]:
        return _compiled(type(self))[0](self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Self:
        return _compiled(cls)[1](cls, d)  # type: ignore[no-any-return]


_ENCODE = {"date-time": "{}.isoformat()", "date": "{}.isoformat()", "time": "{}.strftime('%H:%M')"}
_COMPILED: dict[type, tuple[Callable[[Any], dict[str, Any]], Callable[[type, dict[str, Any]], Any]]] = {}


def _compiled(cls: type) -> tuple[Callable[[Any], dict[str, Any]], Callable[[type, dict[str, Any]], Any]]:
    found = _COMPILED.get(cls)
    if found is not None:
        return found
    namespace: dict[str, Any] = {}
    encoded, decoded = [], []
    for i, spec in enumerate(specs(cls)):
        value = f"self.{spec.name}"
        template = "{}.value" if spec.enum else _ENCODE.get(spec.format or "")
        if template is None:
            encoded.append(f"{spec.name!r}: {value}")
        elif spec.optional:
            encoded.append(f"{spec.name!r}: ({template.format(f'_v{i}')} if (_v{i} := {value}) is not None else None)")
        else:
            encoded.append(f"{spec.name!r}: {template.format(value)}")
        namespace[f"_dec{i}"] = spec.decode
        if spec.required:
            raw = f"d[{spec.name!r}]"
            if spec.decode is None:
                decoded.append(f"{spec.name}={raw}")
            elif spec.optional:
                decoded.append(f"{spec.name}=(_dec{i}(_v{i}) if (_v{i} := {raw}) is not None else None)")
            else:
                decoded.append(f"{spec.name}=_dec{i}({raw})")
        else:  # written before the field existed: its default
            namespace[f"_default{i}"] = next(f for f in fields(cls) if f.name == spec.name).default
            raw = f"d.get({spec.name!r}, _default{i})"
            if spec.decode is None:
                decoded.append(f"{spec.name}={raw}")
            else:
                decoded.append(
                    f"{spec.name}=(_dec{i}(_v{i}) if (_v{i} := {raw}) is not None and _v{i} is not _default{i} "
                    f"else _v{i})"
                )
    source = (
        "def to_dict(self):\n    return {" + ", ".join(encoded) + "}\n"
        "def from_dict(cls, d):\n    return cls(" + ", ".join(decoded) + ")\n"
    )
    exec(source, namespace)  # noqa: S102 - code generated from our own field declarations, as dataclasses does
    _COMPILED[cls] = found = (namespace["to_dict"], namespace["from_dict"])
    return found


def view_fields(cls: type, audience: Literal["public", "staff"]) -> tuple[FieldSpec, ...]:
    """The fields an audience sees: public sees public fields, staff sees public and staff fields."""
    allowed = ("public",) if audience == "public" else ("public", "staff")
    return tuple(s for s in specs(cls) if s.audience in allowed)


def columns(cls: type) -> tuple[FieldSpec, ...]:
    """The fields the database keeps in columns of their own, in declaration order."""
    return tuple(s for s in specs(cls) if s.column is not None)


def json_schema(cls: type, audience: Literal["public", "staff"]) -> dict[str, Any]:
    """The OpenAPI (JSON Schema) object of a snapshot as an audience sees it."""
    properties: dict[str, Any] = {}
    for spec in view_fields(cls, audience):
        if audience == "public" and spec.wire_as == "flag":
            properties[spec.name] = {"type": "boolean"}
            continue
        prop: dict[str, Any] = {"type": [spec.kind, "null"] if spec.optional else spec.kind}
        if spec.format == "time":
            prop["pattern"] = "^[0-2][0-9]:[0-5][0-9]$"
        elif spec.format:
            prop["format"] = spec.format
        if spec.enum:
            prop["enum"] = [*spec.enum, None] if spec.optional else list(spec.enum)
        properties[spec.name] = prop
    required = [s.name for s in view_fields(cls, audience) if s.required]
    return {"type": "object", "properties": properties, "required": required}
