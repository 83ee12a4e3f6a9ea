"""Issue 16: tasks (待办) — my list (a manager: the team's too), a form, done / undo (htmx swaps the row)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from common.access import page_open_to
from common.auth import AuthedRequest
from common.errors import DomainError
from common.forms import form_saved
from common.timeutil import local_today
from crm import policy
from crm.forms_sales_tools import TaskForm
from crm.selectors_tasks import STATES, tasks_filtered
from crm.services import tasks as services
from crm.views.paging import page_context


@page_open_to(policy.can_open_tasks)
def task_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    qs = policy.tasks_visible_to(user)
    scope = request.GET.get("scope") if request.GET.get("scope") == "team" else "mine"
    if scope == "mine":
        qs = qs.filter(owner=user)
    state = request.GET.get("state") or "open"
    if state not in STATES:
        state = "open"
    q = (request.GET.get("q") or "").strip()[:100]
    today = local_today()
    ctx = page_context(request, tasks_filtered(qs=qs, today=today, state=state, q=q))
    return render(
        request,
        "crm/task_list.html",
        {
            **ctx,
            "scope": scope,
            "state": state,
            "q": q,
            "today": today,
            "is_manager": policy.is_manager(user),
            "states": [
                ("open", _("未完成")),
                ("overdue", _("已逾期")),
                ("done", _("已完成")),
                ("all", _("全部")),
            ],
        },
    )


@page_open_to(policy.can_open_tasks)
@require_http_methods(["GET", "POST"])
def task_create(request: AuthedRequest) -> HttpResponse:
    customers = policy.customers_visible_to(request.user).only("id", "name").order_by("name")
    form = TaskForm(
        request.POST or None,
        customers=customers,
        initial={"customer": request.GET.get("customer"), "due_on": local_today()},
    )
    if request.method == "POST" and form_saved(
        request, form, lambda d: services.task_create(by=request.user, **d), _("待办已添加。")
    ):
        return redirect("crm:task_list")
    return render(request, "crm/task_form.html", {"form": form})


@page_open_to(policy.can_open_tasks)
@require_POST
def task_done(request: AuthedRequest, pk: int) -> HttpResponse:
    """Done (done=1) or undo (done=0). From htmx the row comes back; otherwise back to where it was."""
    task = policy.tasks_visible_to(request.user).select_related("owner", "customer").filter(pk=pk).first()
    if task is None:
        raise Http404
    try:
        task = services.task_set_done(task=task, by=request.user, done=request.POST.get("done") != "0")
    except DomainError as exc:
        if request.headers.get("HX-Request"):
            return HttpResponse(str(exc.message), status=exc.status)
        messages.error(request, str(exc.message))
    if request.headers.get("HX-Request"):
        task = policy.tasks_visible_to(request.user).select_related("owner", "customer").get(pk=pk)
        return render(request, "crm/_task_row.html", {"t": task, "today": local_today()})
    back = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = ""
    return redirect(back or "crm:task_list")
