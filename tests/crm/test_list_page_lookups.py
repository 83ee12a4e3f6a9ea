"""Issue 16 (performance): the customer list page asks each lookup once — the session, the user, the roles,
the team (one recursive query), the account-executive check, the list preferences (columns and saved filters
in one query) and each menu badge — so its query count stays where it was before the list tools."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from common.list_preferences import columns_choose, list_preferences, saved_filter_create
from common.models import SavedListFilter
from crm import policy
from crm.lists import CUSTOMER_LIST
from crm.models import Department, User
from tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db


def _hits(ctx: CaptureQueriesContext, *needles: str) -> int:
    return sum(all(n in q["sql"] for n in needles) for q in ctx.captured_queries)


def test_manager_page_asks_each_lookup_once(client_for, org):  # type: ignore[no-untyped-def]
    manager = org.manager_a
    CustomerFactory(owner=org.rep_a1, name="星河科技")
    saved_filter_create(
        user=manager, spec=CUSTOMER_LIST, name="A 级", query="grade=A", shared=True, may_share=True
    )
    columns_choose(user=manager, spec=CUSTOMER_LIST, keys=["name", "owner", "phone"])
    client = client_for(manager)
    client.get("/customers/")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/customers/")
    html = response.content.decode()
    assert "星河科技" in html and "A 级" in html
    assert [h.column.key for h in response.context["headers"]] == ["name", "owner", "phone"]
    assert _hits(ctx, "django_session") == 1
    assert _hits(ctx, '"auth_group"') == 1
    assert _hits(ctx, "WITH RECURSIVE") == 1
    assert _hits(ctx, '"account_executive_id" =', "LIMIT 1") == 1
    # Columns and saved filters: one query for both.
    assert _hits(ctx, "common_listcolumnchoice") == 1
    assert _hits(ctx, "common_savedlistfilter") == 1
    assert _hits(ctx, "common_listcolumnchoice", "common_savedlistfilter") == 1
    # The 撞单 count shows on its entry and in the approvals centre's total: counted once.
    assert _hits(ctx, "partners_collisioncase") == 1
    # Whom to transfer to is whom the owner filter offers: one query for both.
    assert _hits(ctx, 'FROM "crm_user" WHERE ("crm_user"."is_active"') == 1


def test_rep_page_skips_the_owner_menu(client_for, org):  # type: ignore[no-untyped-def]
    client = client_for(org.rep_a1)
    client.get("/customers/")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/customers/")
    assert response.context["owner_choices"] == [] and response.context["team_choices"] == []
    assert _hits(ctx, 'FROM "crm_user" WHERE ("crm_user"."is_active"') == 0


def test_list_preferences_in_one_query(org, django_assert_num_queries):  # type: ignore[no-untyped-def]
    me, other = org.manager_a, org.manager_b
    saved_filter_create(
        user=me, spec=CUSTOMER_LIST, name="我的", query="grade=B", shared=False, may_share=True
    )
    saved_filter_create(
        user=other, spec=CUSTOMER_LIST, name="共享的", query="grade=A", shared=True, may_share=True
    )
    saved_filter_create(
        user=other, spec=CUSTOMER_LIST, name="别人的", query="grade=C", shared=False, may_share=True
    )
    SavedListFilter.objects.create(list_key="contracts", name="另一个列表", query="", shared=True, owner=me)
    with django_assert_num_queries(1):
        prefs = list_preferences(user=me, spec=CUSTOMER_LIST)
    assert [(f.name, f.shared, f.owner_id) for f in prefs.saved_filters] == [
        ("共享的", True, other.pk),
        ("我的", False, me.pk),
    ]
    assert [c.key for c in prefs.columns] == [c.key for c in CUSTOMER_LIST.columns if c.default]
    columns_choose(user=me, spec=CUSTOMER_LIST, keys=["phone"])
    with django_assert_num_queries(1):
        prefs = list_preferences(user=me, spec=CUSTOMER_LIST)
    assert [c.key for c in prefs.columns] == ["name", "phone"]  # the name is always shown


def test_team_in_one_query_reaches_chains_sub_departments_and_regions(org, django_assert_num_queries):  # type: ignore[no-untyped-def]
    # A rep two levels below the manager (through a team lead), and a rep in a sub-department of dept A.
    lead = UserFactory(username="lead", manager=org.rep_a1)
    below_lead = UserFactory(username="below_lead", manager=lead)
    # (in another region: it is reached by the department path, not by the region)
    sub = Department.objects.create(name="销售一部一组", parent=org.dept_a, region=org.region_b)
    in_sub = UserFactory(username="in_sub", department=sub)
    fresh = User.objects.get(pk=org.manager_a.pk)
    with django_assert_num_queries(1):
        team = policy.team_member_ids(fresh)
    assert {lead.pk, below_lead.pk, in_sub.pk, org.rep_a1.pk, org.rep_a2.pk, org.executive.pk} <= team
    assert org.rep_b1.pk not in team and org.manager_b.pk not in team
    # The region's manager: every department of the region (and the managers reporting to them).
    region_team = policy.team_member_ids(User.objects.get(pk=org.regional_manager.pk))
    assert {org.manager_a.pk, org.manager_b.pk, org.rep_b1.pk, below_lead.pk} <= region_team
    assert in_sub.pk not in region_team
    # A rep alone: only themselves, still one query.
    alone = User.objects.get(pk=org.rep_b1.pk)
    with django_assert_num_queries(1):
        assert policy.team_member_ids(alone) == {org.rep_b1.pk}
