"""moto's response serializer, working out once what it worked out for every value.

moto builds each answer from its model objects with botocore's shapes: for every member of
every structure (about 180 for one EC2 instance) its ``AttributePicker`` asked six alias
providers which attribute names to try (a new object each, and each name again through
``xform_name``), then matched the value's key path against each of the service's response
transformers (about 20 for EC2). Both answers depend only on what does not change while the
simulator runs: the names to try on the picker's class, the object's class, the member's name
and its shape (with the shape it belongs to); the transformer on the transformers and the key
path. ``install()`` keeps them, so DescribeInstances of the seeded fleet costs about 13 ms of the
simulator's CPU rather than 21 (DescribeVolumes 6 rather than 10), for the console's polls and
for the seeding's own calls alike. The values are still read from each object, in the same
order, and the answers are the same.

An object with a ``Meta`` of its own (``ExplicitAlias`` reads its ``serialization_aliases``) and
a picker with other alias providers than moto's default are worked out every time, as before.
"""

from __future__ import annotations

import threading
from typing import Any

MAX_KEPT = 20_000
"""Answers kept at most, of each kind (a key path holds the keys of the maps it crosses)."""

_lock = threading.Lock()


def install() -> None:
    """Make moto's attribute picker keep what it works out (idempotent)."""
    import moto.core.serialize as serialize
    from moto.core.utils import get_value

    missing = getattr(serialize, "MISSING")  # noqa: B009 - moto does not export it

    with _lock:
        picker = serialize.AttributePicker
        current = picker.__dict__.get("__call__")
        defaults = getattr(serialize, "DEFAULT_ALIAS_PROVIDERS", None)
        if not callable(current) or not isinstance(defaults, list):
            raise RuntimeError("moto's AttributePicker has changed: tui.sim.moto_serializer needs work")
        if "warroom_original" in getattr(current, "__dict__", {}):
            return
        names: dict[tuple[Any, ...], tuple[str, ...]] = {}
        transforms: dict[tuple[int, str, str], tuple[Any, Any]] = {}

        def pick(self: Any, context: Any) -> Any:
            obj = context.obj
            if self.alias_providers is not defaults or "Meta" in getattr(obj, "__dict__", ()):
                return current(self, context)
            key = (type(self), type(obj), context.key, context.shape)
            tried = names.get(key)
            if tried is None:
                try:
                    tried = tuple(self.get_possible_keys(context))
                except Exception:  # what moto does with it, it does as before
                    return current(self, context)
                if len(names) < MAX_KEPT:
                    names[key] = tried
            for name in tried:
                value = get_value(obj, name, missing)
                if value is not missing:
                    break
            else:
                value = None
            transformers = self.response_transformers
            if not transformers:
                return value
            where = (id(transformers), context.key_path, context.key)
            known = transforms.get(where)
            if known is None or known[0] is not transformers:
                key_path = f"{context.key_path}.{context.key}"
                transform = None
                for transform_path, candidate in transformers.items():
                    if key_path.endswith(transform_path):
                        transform = candidate
                        break
                known = (transformers, transform)
                if len(transforms) < MAX_KEPT:
                    transforms[where] = known
            return value if known[1] is None else known[1](value)

        pick.__dict__["warroom_original"] = current
        setattr(picker, "__call__", pick)  # noqa: B010
