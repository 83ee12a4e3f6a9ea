from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from crm.models import User


class PoolAssignForm(forms.Form):
    to_user = forms.ModelChoiceField(label=_("分配给"), queryset=User.objects.none())

    def __init__(self, *args, candidates, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.fields["to_user"].queryset = candidates  # type: ignore[attr-defined]
