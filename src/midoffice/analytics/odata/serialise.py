"""JSON with minimal metadata (OData JSON Format v4.0), written as it is read.

A collection page is written in pieces: the opening with ``@odata.context`` (and
``@odata.count``), then each chunk of entities as soon as it is rendered, then the closing
with ``@odata.nextLink`` when there is a next page (OData allows the next link after the
value; it is known only once the page has been read).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

CONTENT_TYPE = (
    "application/json;odata.metadata=minimal;odata.streaming=true;"
    "IEEE754Compatible=false;charset=utf-8"
)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def collection(
    *,
    context: str,
    count: int | None,
    batches: Iterable[list[dict[str, Any]]],
    next_link: Callable[[], str | None],
) -> Iterator[bytes]:
    """The pieces of one page of a collection."""
    head: dict[str, Any] = {"@odata.context": context}
    if count is not None:
        head["@odata.count"] = count
    yield (dumps(head)[:-1] + ',"value":[').encode()
    first = True
    for batch in batches:
        if not batch:
            continue
        text = dumps(batch)[1:-1]
        yield (text if first else "," + text).encode()
        first = False
    tail = "]"
    link = next_link()
    if link:
        tail += ',"@odata.nextLink":' + dumps(link)
    yield (tail + "}").encode()


def entity(*, context: str, value: dict[str, Any]) -> bytes:
    return dumps({"@odata.context": context, **value}).encode()
