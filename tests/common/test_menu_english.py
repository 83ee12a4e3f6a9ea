"""Issue 15: in English as in Chinese, no two entries of a role's menu read the same (the settlement
dashboard and the settlement list both read "Settlements" once the list went plural)."""

from __future__ import annotations

from collections import Counter

import pytest
from django.test import RequestFactory
from django.utils import translation

from common.menu import nav_for
from crm.models import Role
from tests import policy_world

world = policy_world.world  # the world, built once per module


def _labels(user) -> list[str]:  # type: ignore[no-untyped-def]
    request = RequestFactory().get("/")
    request.user = user
    return [str(item.label) for group in nav_for(request) for item in group.items]


@pytest.mark.django_db
def test_every_roles_menu_names_each_entry_once_in_english_and_chinese(world) -> None:  # type: ignore[no-untyped-def]
    for language in ("en", "zh-hans"):
        with translation.override(language):
            repeated = {
                name: [label for label, n in Counter(_labels(user)).items() if n > 1]
                for name, user in world.users.items()
            }
        assert {name: labels for name, labels in repeated.items() if labels} == {}, language


@pytest.mark.django_db
def test_finance_reads_the_settlement_dashboard_and_the_settlements_list_apart(world) -> None:  # type: ignore[no-untyped-def]
    with translation.override("en"):
        labels = _labels(world.users[Role.FINANCE])
    assert "Settlement dashboard" in labels and "Settlements" in labels
