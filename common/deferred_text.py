"""Issue 15: text that is stored and read later (an approval's title, a notification) is kept as its
message id and arguments and put into words when someone reads it, in the reader's language.

Message ids are Chinese, so the stored id is also the Chinese wording: a row written before this
existed (plain text only) or a message with no English entry still reads as it did.

    words(gettext_noop("报价 %(n)s 折扣审批"), n="Q-1")          # build
    words_json(w) → {"m": "报价 %(n)s 折扣审批", "a": {"n": "Q-1"}}  # store (JSONField)
    words_text(data) → "Quote Q-1 discount approval" on an English page

A counted noun ("1 line", "3 lines") is stored with its plural id and the name of the argument that
counts (`words_plural`); Chinese has one form, so both ids are the same Chinese wording.

    words_plural(gettext_noop("有 %(k)d 行"), gettext_noop("有 %(k)d 行"), "k", k=3)
    → {"m": "有 %(k)d 行", "p": "有 %(k)d 行", "c": "k", "a": {"k": 3}}

A word whose English depends on where it is read carries a message context (`words_in_context`, stored
as "x", read with pgettext): "报备" in an opportunity's history reads "Registered", while the button
reads "Register".

    words_in_context("history", "报备") → {"m": "报备", "x": "history", "a": {}}

A list argument (names) is stored as a list and joined the reader's way when read: "、" in Chinese,
", " in English — {"l": ["甲", "乙"]}.

An argument may itself be deferred (another `Words`, a `gettext_lazy` string or a TextChoices label):
it is stored by its message id and translated with the rest. Anything else is stored as its text
(numbers, names, money through `format_cny`, rates through `common.fen.pct`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext, npgettext, pgettext


@dataclass(frozen=True)
class Words:
    msgid: str
    args: dict[str, Any] = field(default_factory=dict)
    plural: str = ""  # the plural message id of a counted noun; `count` names the argument that counts
    count: str = ""
    context: str = ""  # the message context (pgettext), if any

    def __str__(self) -> str:
        return words_text(words_json(self))


def words(msgid: str, /, **args: Any) -> Words:
    return Words(str(msgid), args)


def words_in_context(context: str, msgid: str, /, **args: Any) -> Words:
    """Words read with a message context (pgettext): the same Chinese, another English."""
    return Words(str(msgid), args, context=context)


def words_plural(singular: str, plural: str, count: str, /, **args: Any) -> Words:
    """Words with a counted noun: read with ngettext on the argument named `count`."""
    if not isinstance(args.get(count), int):
        raise TypeError(f"words_plural: the count argument {count!r} must be an int")
    return Words(str(singular), args, str(plural), count)


def _message_id(value: Promise) -> str:
    # With no language active, gettext returns the message id itself (the Chinese wording).
    with translation.override(None):
        return str(value)


def _encode(value: Any) -> Any:
    if isinstance(value, Words):
        return words_json(value)
    if isinstance(value, dict) and isinstance(value.get("m"), str):  # already stored words
        return value
    if isinstance(value, Promise):
        return {"m": _message_id(value), "a": {}}
    if isinstance(value, int):
        return value
    if isinstance(value, list | tuple):
        return {"l": [_encode(v) for v in value]}
    return str(value)


def words_json(w: Words) -> dict[str, Any]:
    data: dict[str, Any] = {"m": w.msgid, "a": {k: _encode(v) for k, v in w.args.items()}}
    if w.plural:
        data["p"], data["c"] = w.plural, w.count
    if w.context:
        data["x"] = w.context
    return data


def _template(data: dict[str, Any], args: dict[str, Any]) -> str:
    plural, count, context = data.get("p"), args.get(str(data.get("c"))), data.get("x")
    if isinstance(plural, str) and isinstance(count, int):
        if isinstance(context, str):
            return npgettext(context, data["m"], plural, count)
        return ngettext(data["m"], plural, count)
    if isinstance(context, str):
        return pgettext(context, data["m"])
    return gettext(data["m"])


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and "m" in value:
        return words_text(value)
    if isinstance(value, dict) and isinstance(value.get("l"), list):
        return gettext("、").join(str(_decode(v)) for v in value["l"])
    return value


def _fill(template: str, args: dict[str, Any]) -> str:
    if not args and "%(" not in template:
        return template  # a message with no arguments may hold a literal "%"
    return template % args


def words_text(data: Any, fallback: str = "") -> str:
    """The stored words in the active language; `fallback` (the stored text) when there are none or
    they cannot be read (a message id changed since, a missing argument)."""
    if not isinstance(data, dict) or not isinstance(data.get("m"), str):
        return fallback
    args = data.get("a")
    if not isinstance(args, dict):
        args = {}
    decoded = {k: _decode(v) for k, v in args.items()}
    try:
        return _fill(_template(data, decoded), decoded)
    except (KeyError, TypeError, ValueError):  # a translation with a bad placeholder: the id is right
        try:
            return _fill(data["m"], decoded)
        except (KeyError, TypeError, ValueError):
            return fallback or data["m"]


def words_stored_text(value: Words | str) -> str:
    """The plain text stored beside the words (search, the admin, e-mail): the Chinese wording."""
    if isinstance(value, Words):
        with translation.override(None):
            return str(value)
    return str(value)
