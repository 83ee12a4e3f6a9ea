"""Issue 16: a manager releases customers of their team to the public pool (公海) by hand, with a reason
— one customer or the ticked ones of the customer list. The release itself is the nightly sweep's
(crm.services.pool.pool_release_by_hand: the same release record, P1 history row and notices to the
former owner and their manager); this module decides, per customer, whether the manager may."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from common.errors import DomainError
from crm import policy
from crm.models import Contract, Customer, Opportunity, User
from crm.services.customer_bulk import BulkResult, bulk_selection_check
from crm.services.pool import CONTRACT_EXEMPT_STATUSES, OPPORTUNITY_EXEMPT_STAGES, pool_release_by_hand

REASON_MAX = 200  # PoolRelease.reason


def _clean_reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise DomainError(_("请填写释放到公海的原因。"), code="reason_required", field="reason")
    if len(reason) > REASON_MAX:
        raise DomainError(
            _("原因最多 %(n)d 个字。") % {"n": REASON_MAX}, code="reason_too_long", field="reason"
        )
    return reason


def _busy_customer_ids(ids: list[int]) -> set[int]:
    """C9: a customer with a signed contract still being delivered or an opportunity in the final stage
    is being worked on: it never goes to the pool, by the sweep or by hand."""
    busy = set(
        Contract.objects.filter(customer_id__in=ids, status__in=CONTRACT_EXEMPT_STATUSES).values_list(
            "customer_id", flat=True
        )
    )
    busy |= set(
        Opportunity.objects.filter(customer_id__in=ids, stage__in=OPPORTUNITY_EXEMPT_STAGES).values_list(
            "customer_id", flat=True
        )
    )
    return busy


def customers_release_to_pool(*, customer_ids: list[int], reason: str, by: User) -> BulkResult:
    """Release each chosen customer the manager may release; the others are refused with the reason
    (one the manager may not see is "not found", as on its page). All the releases are one batch, in
    one transaction, the rows locked in id order."""
    if not policy.can_release_to_pool(by):
        raise DomainError(_("只有销售经理可以把客户释放到公海。"), code="forbidden", status=403)
    reason = _clean_reason(reason)
    bulk_selection_check(customer_ids, nothing=_("请先勾选客户。"), too_many=_("一次最多处理 %(n)d 个客户。"))
    result = BulkResult()
    with transaction.atomic():
        visible_ids = list(policy.customer_scope(by).filter(pk__in=customer_ids).values_list("pk", flat=True))
        locked = {
            c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=visible_ids).order_by("pk")
        }
        busy = _busy_customer_ids(list(locked))
        chosen: list[Customer] = []
        for pk in dict.fromkeys(customer_ids):  # once each, in the order chosen
            customer = locked.get(pk)
            if customer is None:
                result.refused.append((f"#{pk}", _("客户不存在或您无权查看。")))
            elif customer.owner_id is None:
                result.refused.append((customer.name, _("该客户已在公海中。")))
            elif not policy.can_release_customer_to_pool(by, customer):
                result.refused.append((customer.name, _("只有该客户所在团队的经理可以把它释放到公海。")))
            elif pk in busy:
                result.refused.append(
                    (customer.name, _("该客户有执行中的合同或谈判阶段的商机，不能释放到公海。"))
                )
            else:
                chosen.append(customer)
        pool_release_by_hand(customer_ids=[c.pk for c in chosen], reason=reason, by=by)
    for customer in chosen:
        customer.owner, customer.owned_since = None, None
    result.done = chosen
    return result


def customer_release_to_pool(*, customer: Customer, reason: str, by: User) -> Customer:
    """One customer: released, or the refusal as the error."""
    result = customers_release_to_pool(customer_ids=[customer.pk], reason=reason, by=by)
    if result.refused:
        raise DomainError(result.refused[0][1], code="release_refused")
    return result.done[0]
