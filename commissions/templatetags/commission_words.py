"""`{% load commission_words %}`: a commission line's component by its label in the plan, a band in words."""

from __future__ import annotations

from typing import Any

from django import template

from commissions.words import line_component_label
from common.deferred_text import words_text

register = template.Library()


@register.filter
def component_label(line: Any) -> str:
    return line_component_label(line)


@register.filter
def band_text(result_line: Any) -> str:
    """`{{ r|band_text }}`: a stored calculation line's band in the reader's language (issue 15) when the
    calculator worded it; a band from the plan (its own label) or a calculation stored earlier as stored."""
    if not isinstance(result_line, dict):
        return ""
    return words_text(result_line.get("band_words"), fallback=str(result_line.get("band") or ""))
