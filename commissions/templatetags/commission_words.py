"""`{% load commission_words %}`: a commission line's component by its label in the plan."""

from __future__ import annotations

from typing import Any

from django import template

from commissions.words import line_component_label

register = template.Library()


@register.filter
def component_label(line: Any) -> str:
    return line_component_label(line)
