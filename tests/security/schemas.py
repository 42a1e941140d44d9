"""Hypothesis strategies from JSON schemas as pydantic writes them (the
OpenAPI document's and the wire protocol's), for the fuzz tests."""

from __future__ import annotations

from hypothesis import strategies as st

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=10)


def from_schema(schema: dict, defs: dict) -> st.SearchStrategy:
    """Values for a JSON schema as pydantic writes them, including its edges:
    strings one past their length limits, numbers one past their bounds."""
    if "$ref" in schema:
        return from_schema(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in schema:
        return st.one_of([from_schema(s, defs) for s in schema["anyOf"]])
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "const" in schema:
        return st.just(schema["const"])
    kind = schema.get("type")
    if kind == "string":
        if "pattern" in schema:
            return st.from_regex(schema["pattern"], fullmatch=True) | st.text(max_size=50)
        low, high = schema.get("minLength", 0), schema.get("maxLength", 100)
        return st.text(min_size=max(0, low - 1), max_size=min(high + 1, 400))
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", -(2**40)))
        high = schema.get("maximum", schema.get("exclusiveMaximum", 2**40))
        edges = st.sampled_from([low - 1, low, high, high + 1, 2**64, -(2**64)])
        inside = st.integers(int(low), int(high)) if kind == "integer" else st.floats(low, high)
        return inside | edges
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        return st.lists(from_schema(schema.get("items", {}), defs), max_size=schema.get("maxItems", 5) + 1)
    if kind == "object" and not schema.get("properties"):
        return st.dictionaries(st.text(max_size=12), JSON, max_size=4)  # a free-form object (signal data)
    if kind == "object":
        props = schema.get("properties", {})
        required = set(schema.get("required", []))
        def field(name: str, sub: dict) -> st.SearchStrategy:
            shaped = from_schema(sub, defs)
            return st.emails() | shaped if name == "email" else shaped  # else hardly one would pass as an address

        return st.fixed_dictionaries(
            {k: field(k, v) for k, v in props.items() if k in required},
            optional={k: field(k, v) for k, v in props.items() if k not in required})
    return JSON


