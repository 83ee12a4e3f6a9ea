from __future__ import annotations

from django import forms

from common.errors import DomainError


def add_domain_error(form: forms.BaseForm, exc: DomainError) -> None:
    """Show a service's refusal on the form, next to its field when it names one, keeping the input."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, str(exc.message))
