from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from common.errors import DomainError


def add_domain_error(form: forms.BaseForm, exc: DomainError) -> None:
    """Show a service's refusal on the form, next to its field when it names one, keeping the input."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc.message))


def form_saved(
    request: HttpRequest,
    form: forms.BaseForm,
    save: Callable[[dict[str, Any]], Any],
    success: str | Callable[[Any], str],
) -> bool:
    """A posted form's one step: a valid form goes to its service (`save(cleaned_data)`); a refusal shows
    on the form, the input kept; a save says so (`success`, or a function of what was saved). True when
    saved: the caller then redirects."""
    if not form.is_valid():
        return False
    try:
        saved = save(form.cleaned_data)
    except DomainError as exc:
        add_domain_error(form, exc)
        return False
    messages.success(request, success(saved) if callable(success) else success)
    return True
