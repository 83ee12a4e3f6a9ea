"""Reports ask the owning app's policy for their rows (issue 18): for every role of the URL x role world
the report scope is the policy's list scope, and a rule changed in the policy changes the reports."""

from __future__ import annotations

from typing import Any

import pytest

from commissions import policy as commissions_policy
from crm import policy as crm_policy
from crm.models import Contract, LeadAssignmentRule, Order, Role, User
from crm.services.leads import lead_pick_assignee
from reports import scope
from settlements import policy as settlements_policy
from tests import policy_world
from tests.factories import UserFactory

world = policy_world.world  # the world, built once per module

ROLES = list(Role.values)


def ids(qs: Any) -> set[int]:
    return set(qs.values_list("pk", flat=True))


def fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)  # no per-object caches of an earlier case


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_report_scope_is_the_policys_list_scope_for_every_role(world, role) -> None:  # type: ignore[no-untyped-def]
    user = fresh(world.users[role])
    assert ids(scope.customers(user)) == ids(crm_policy.customer_scope(user))
    assert ids(scope.opportunities(user)) == ids(crm_policy.opportunity_scope(user))
    assert ids(scope.receivables(user)) == ids(crm_policy.receivables_visible_to(user))
    assert ids(scope.commission_lines(user)) == ids(commissions_policy.lines_visible_to(user))
    assert ids(scope.settlements(user)) == ids(settlements_policy.settlements_visible_to(user))
    # Money figures count what the team owns: the list's rows minus those the user only approves.
    team = crm_policy.team_member_ids(user) if user.is_authenticated else set()
    if crm_policy.sees_all_money(user):
        assert ids(scope.contracts(user)) == ids(Contract.objects.all())
        assert ids(scope.orders(user)) == ids(Order.objects.all()) == ids(crm_policy.order_scope(user))
    else:
        assert ids(scope.contracts(user)) == ids(crm_policy.contract_scope(user).filter(owner_id__in=team))
        assert ids(scope.orders(user)) == ids(crm_policy.order_scope(user).filter(owner_id__in=team))
    people = ids(scope.people(user))
    assert people <= ids(crm_policy.frontline_sellers())
    if user.sees_everything:
        assert people == ids(scope.published_people())
    else:
        assert people <= team


@pytest.mark.django_db
def test_a_rule_changed_in_the_crm_policy_changes_the_reports(world, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    manager = world.users[Role.SALES_MANAGER]
    rep = world.users[Role.REP]
    reps_opportunity = world.objects["opportunity"][0]
    assert reps_opportunity.owner_id == rep.pk
    assert reps_opportunity.pk in ids(scope.opportunities(fresh(manager)))
    assert rep.pk in ids(scope.people(fresh(manager)))

    # C11 rewritten in one place: a manager's team is the manager alone.
    monkeypatch.setattr(crm_policy, "team_member_ids", lambda user: {user.pk})
    manager = fresh(manager)
    assert reps_opportunity.pk not in ids(scope.opportunities(manager))
    assert not ids(scope.contracts(manager)) & {c.pk for c in world.objects["contract"]}
    assert ids(scope.people(manager)) == set()  # the manager is not a seller; the team is gone


@pytest.mark.django_db
def test_the_lead_rotation_deals_to_the_people_the_rankings_rank(org) -> None:  # type: ignore[no-untyped-def]
    """One definition (crm.policy.frontline_sellers): a manager put in the rotation is skipped and not
    ranked; a manager who also holds the seller role leads a team, so neither."""
    both = UserFactory(username="coach", roles=[Role.REP, Role.SALES_MANAGER], department=org.dept_a)
    rule = LeadAssignmentRule.objects.create(region=org.region)
    rule.users.set([org.manager_a, both, org.rep_a2])

    dealt = {lead_pick_assignee(region=org.region, industry=None) for _ in range(3)}

    assert dealt == {org.rep_a2}
    ranked = ids(scope.published_people())
    assert ranked == {org.rep_a1.pk, org.rep_a2.pk, org.rep_b1.pk}
