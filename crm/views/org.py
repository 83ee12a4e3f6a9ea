"""Issue 15 "Administration inside the product": the org page (regions → departments → people) where a
system administrator adds and edits departments and people — roles, department, manager, whether they
may sign in. crm.policy decides who may open it; crm.services.org holds every rule."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from common.access import page_open_to
from common.auth import AuthedRequest
from common.errors import DomainError
from common.forms import add_domain_error
from crm import policy
from crm.forms_org import DepartmentForm, PeopleFilterForm, PersonForm, RegionForm
from crm.models import Department, Region, Role, User
from crm.services import org as org_services
from crm.views.paging import page_context


def _get_or_404(model: Any, pk: int | None) -> Any:
    if pk is None:
        return None
    obj = model.objects.filter(pk=pk).first()
    if obj is None:
        raise Http404
    return obj


@page_open_to(policy.can_manage_org)
def org_overview(request: AuthedRequest) -> HttpResponse:
    regions, unassigned = org_services.org_tree()
    tree = [(node.region, org_services.flatten(node.departments)) for node in regions]
    form = PeopleFilterForm(request.GET or None)
    d = form.cleaned_data if form.is_valid() else {}
    department = Department.objects.filter(pk=d["department"]).first() if d.get("department") else None
    qs = org_services.people_search(
        q=d.get("q", ""), department=department, role=d.get("role", ""), active=d.get("active", "")
    )
    page = page_context(request, qs)
    people = [(p, org_services.role_labels(org_services.person_roles(p))) for p in page["rows"]]
    return render(
        request,
        "crm/org.html",
        {
            **page,
            "tree": tree,
            "unassigned": unassigned,
            "filter_form": form,
            "department": department,
            "people": people,
        },
    )


def _save_or_render(
    request: AuthedRequest,
    form: Any,
    *,
    obj: Any,
    title: str,
    save: Callable[..., Any],
    saved_message: str,
    next_url: Callable[[Any], str],
) -> HttpResponse:
    """The org page's edit forms: a valid form goes to its service; a refusal shows on the form (input
    kept); a save says what was saved and returns to the org page."""
    if request.method == "POST" and form.is_valid():
        try:
            saved = save(by=request.user, **form.cleaned_data)
        except DomainError as exc:
            add_domain_error(form, exc)
        else:
            messages.success(request, saved_message % {"name": saved})
            return redirect(next_url(saved))
    return render(request, "crm/org_form.html", {"form": form, "title": title, "obj": obj})


@page_open_to(policy.can_manage_org)
@require_http_methods(["GET", "POST"])
def org_region_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    region: Region | None = _get_or_404(Region, pk)
    initial = {"name": region.name, "manager": region.manager_id} if region else None
    return _save_or_render(
        request,
        RegionForm(request.POST or None, initial=initial),
        obj=region,
        title=_("编辑大区") if region else _("新建大区"),
        save=partial(org_services.region_save, region=region),
        saved_message=_("大区“%(name)s”已保存。"),
        next_url=lambda saved: reverse("crm:org"),
    )


@page_open_to(policy.can_manage_org)
@require_http_methods(["GET", "POST"])
def org_department_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    department: Department | None = _get_or_404(Department, pk)
    if department:
        initial: dict[str, Any] = {
            "name": department.name,
            "region": department.region_id,
            "parent": department.parent_id,
            "manager": department.manager_id,
        }
    else:
        initial = {"region": request.GET.get("region"), "parent": request.GET.get("parent")}
    return _save_or_render(
        request,
        DepartmentForm(request.POST or None, initial=initial),
        obj=department,
        title=_("编辑部门") if department else _("新建部门"),
        save=partial(org_services.department_save, department=department),
        saved_message=_("部门“%(name)s”已保存。"),
        next_url=lambda saved: reverse("crm:org") + f"?department={saved.pk}",
    )


@page_open_to(policy.can_manage_org)
@require_http_methods(["GET", "POST"])
def org_person_edit(request: AuthedRequest, pk: int | None = None) -> HttpResponse:
    person: User | None = _get_or_404(User, pk)
    if person:
        initial: dict[str, Any] = {
            "display_name": person.display_name,
            "username": person.username,
            "phone": person.phone,
            "email": person.email,
            "department": person.department_id,
            "manager": person.manager_id,
            "roles": org_services.person_roles(person),
            "is_active": person.is_active,
        }
    else:
        initial = {"department": request.GET.get("department"), "roles": [Role.REP], "is_active": True}
    return _save_or_render(
        request,
        PersonForm(request.POST or None, initial=initial),
        obj=person,
        title=_("编辑人员") if person else _("新建人员"),
        save=partial(org_services.person_save, person=person),
        saved_message=_("人员“%(name)s”已保存。"),
        next_url=lambda saved: reverse("crm:org") + f"?department={saved.department_id or ''}",
    )
