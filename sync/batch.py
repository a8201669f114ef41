"""Reading a JSON push body item by item, so that one bad item never sinks the batch.

The body is parsed whole when it can be. When one item is nested so deeply that the parser gives
up, the `submissions` array is split into its items by a scanner that keeps no recursion, and
each item is parsed alone. Every item then passes a check of what the database and an XML
instance can hold (control characters, lone surrogates, huge numbers, NaN, nesting); an item that
fails it keeps its own bytes and its own reason, and goes to the quarantine alone.
"""
import json
import math
import re
from dataclasses import dataclass

from server.errors import BadRequest, Problem, SubmissionInvalid, TooLarge

#: deeper than any form's answers can be (a repeat in a group in a repeat ...)
MAX_DEPTH = 32
#: characters XML 1.0 cannot hold (tab, newline and carriage return are fine)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_INT64 = 2**63 - 1
_INSTANCE_ID = re.compile(r'"instance_id"\s*:\s*"([^"\\\x00-\x1f]{1,100})"')


@dataclass
class RawItem:
    """One element of the submissions array: its bytes, its value, or why it cannot be taken."""
    payload: bytes
    value: object = None
    problem: Problem | None = None


def read_items(body: bytes, limit: int) -> list[RawItem]:
    """The items of a push body; BadRequest / TooLarge when the body as a whole is not a batch."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest("The body is not UTF-8 JSON.") from exc
    try:
        data = json.loads(text)
    except RecursionError:
        items = _split_items(text)
    except ValueError as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}") from exc
    else:
        if not isinstance(data, dict) or not isinstance(data.get("submissions"), list):
            raise BadRequest('The body must be a JSON object {"submissions": [...]}.', field="submissions")
        items = [_checked(_dump(value), value) for value in data["submissions"]]
    if len(items) > limit:
        raise TooLarge(f"At most {limit} submissions per push; send {len(items)} in several batches.",
                       limit=limit, given=len(items))
    return items


def _dump(value) -> bytes:
    try:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, ValueError, RecursionError):
        return json.dumps(value, separators=(",", ":"), ensure_ascii=True, default=str).encode("ascii")


def _checked(payload: bytes, value) -> RawItem:
    reason = _unfit(value)
    if reason is not None:
        return RawItem(payload, value, SubmissionInvalid(f"The item cannot be stored: {reason}.", errors=[
            {"path": reason.split(":")[0], "message": reason}]))
    return RawItem(payload, value)


def _unfit(value) -> str | None:
    """Why a parsed item cannot be stored, or None; walks it without recursion."""
    stack = [(value, "", 1)]
    while stack:
        node, path, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"{path or '/'}: nested more than {MAX_DEPTH} levels deep"
        if isinstance(node, dict):
            for key, child in node.items():
                problem = _bad_text(key)
                if problem:
                    return f"{path}/{_show(key)}: the name {problem}"
                stack.append((child, f"{path}/{key}", depth + 1))
        elif isinstance(node, list):
            stack.extend((child, f"{path}[{index}]", depth + 1) for index, child in enumerate(node))
        elif isinstance(node, str):
            problem = _bad_text(node)
            if problem:
                return f"{path}: the text {problem}"
        elif isinstance(node, bool) or node is None:
            continue
        elif isinstance(node, int):
            if not -_INT64 <= node <= _INT64:
                return f"{path}: the number {str(node)[:30]} is too large"
        elif isinstance(node, float) and not math.isfinite(node):
            return f"{path}: {node} is not a number"
    return None


def _bad_text(text: str) -> str | None:
    if _CONTROL.search(text):
        return "holds a control character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "holds an unpaired surrogate"
    return None


def _show(key: str) -> str:
    return key.encode("unicode_escape").decode("ascii")[:40]


def _split_items(text: str) -> list[RawItem]:
    """The raw elements of the top-level "submissions" array, found by a scanner (no recursion)."""
    elements, depth, in_string, escaped = [], 0, False, False
    last_key, string_start, array_at, start = None, 0, None, None
    for index, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
                if depth == 1:
                    last_key = text[string_start + 1:index]
            continue
        if char == '"':
            in_string, string_start = True, index
        elif char in "{[":
            if depth == 1 and char == "[" and last_key == "submissions" and array_at is None:
                array_at, start = depth + 1, index + 1
            depth += 1
        elif char in "}]":
            depth -= 1
            if array_at is not None and depth == array_at - 1 and start is not None:
                if text[start:index].strip():
                    elements.append(text[start:index])
                start = None
                break
        elif char == "," and array_at is not None and depth == array_at and start is not None:
            elements.append(text[start:index])
            start = index + 1
    if array_at is None:
        raise BadRequest('The body must be a JSON object {"submissions": [...]}.', field="submissions")
    items = []
    for raw in elements:
        payload = raw.strip().encode("utf-8")
        named = _INSTANCE_ID.search(raw)
        envelope = {"instance_id": named.group(1)} if named else None
        try:
            value = json.loads(raw)
        except RecursionError:
            items.append(RawItem(payload, envelope, SubmissionInvalid(
                f"The item cannot be stored: nested more than {MAX_DEPTH} levels deep.")))
            continue
        except ValueError as exc:
            items.append(RawItem(payload, envelope, SubmissionInvalid(f"The item is not valid JSON: {exc}")))
            continue
        items.append(_checked(payload, value))
    return items
