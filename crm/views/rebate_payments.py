"""002 §6: finance pays approved customer rebates (客户佣金) from a page — in full, on money received,
with the 劳务费申请单 number. The pay service decides; a refusal keeps the input and says why."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common.access import page_open_to
from common.auth import AuthedRequest
from common.errors import DomainError
from crm import policy
from crm.services.approvals import customer_rebate_pay
from crm.services.rebate_payments import customer_rebate_due, customer_rebates_for_payment
from crm.views.paging import page_context


class RebatePayForm(forms.Form):
    concession = forms.IntegerField(widget=forms.HiddenInput)
    amount = forms.DecimalField(label=gettext_lazy("支付金额"), max_digits=16, decimal_places=2, min_value=0)
    paid_on = forms.DateField(
        label=gettext_lazy("支付日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    payment_form_no = forms.CharField(label=gettext_lazy("劳务费申请单号"), max_length=50)


@page_open_to(policy.can_open_rebate_payments)
def rebate_payments(request: AuthedRequest) -> HttpResponse:
    errors: dict[int, str] = {}
    posted: dict[str, str] = {}
    if request.method == "POST":
        form = RebatePayForm(request.POST)
        posted = request.POST.dict()
        if form.is_valid():
            d = form.cleaned_data
            try:
                c = customer_rebate_pay(
                    concession_id=d["concession"],
                    amount=d["amount"],
                    paid_on=d["paid_on"],
                    payment_form_no=d["payment_form_no"],
                    by=request.user,
                )
            except DomainError as exc:
                errors[d["concession"]] = str(exc.message)
            else:
                messages.success(
                    request, _("已支付 %(customer)s 的客户佣金。") % {"customer": c.customer.name}
                )
                return redirect("crm:rebate_payments")
        else:
            key = form.cleaned_data.get("concession") or 0
            errors[key] = "；".join(str(e) for errs in form.errors.values() for e in errs)
    state = request.GET.get("state") or "approved"
    q = (request.GET.get("q") or "").strip()
    ctx = page_context(request, customer_rebates_for_payment(q=q, state=state))
    for c in ctx["rows"]:
        c.due = customer_rebate_due(c)
        c.error = errors.get(c.pk, "")
        mine = str(posted.get("concession", "")) == str(c.pk)
        c.form_amount = posted.get("amount", "") if mine else f"{c.due:.2f}"
        c.form_paid_on = posted.get("paid_on", "") if mine else ""
        c.form_no = posted.get("payment_form_no", "") if mine else ""
    return render(
        request,
        "crm/rebate_payments.html",
        {**ctx, "q": q, "state": state, "general_error": errors.get(0, "")},
    )
