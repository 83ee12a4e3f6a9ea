"""Issue 16: what a user keeps of a CRM list — saved filters (场景) and the columns shown. Each form
posts here with the list's key and the URL it came from, and goes back to that list."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from common.access import page_open_to
from common.auth import AuthedRequest
from common.errors import DomainError
from common.list_preferences import columns_choose, saved_filter_create, saved_filter_delete
from common.listtools import ListSpec, clean_saved_query
from crm import policy
from crm.lists import LIST_SPECS


class UnknownList(Exception):
    pass


def _spec_or_404(request: AuthedRequest) -> ListSpec:
    """The list named in the form: unknown is bad input (400), one the user may not open is a 404."""
    key = request.POST.get("list", "")
    spec = LIST_SPECS.get(key)
    if spec is None:
        raise UnknownList
    if not policy.can_open_list(request.user, key):
        raise Http404
    return spec


def _unknown_list() -> HttpResponse:
    return HttpResponseBadRequest(_("未知的列表。"))


def _back(spec: ListSpec, query: str) -> HttpResponse:
    return redirect(reverse(spec.page_url_name) + "?" + clean_saved_query(spec, query))


@page_open_to(policy.can_use_list_tools)
@require_POST
def list_filter_save(request: AuthedRequest) -> HttpResponse:
    try:
        spec = _spec_or_404(request)
    except UnknownList:
        return _unknown_list()
    query = request.POST.get("query", "")
    try:
        saved = saved_filter_create(
            user=request.user,
            spec=spec,
            name=request.POST.get("name", ""),
            query=query,
            shared=request.POST.get("shared") == "on",
            may_share=policy.can_share_list_filters(request.user),
        )
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("已保存筛选“%(name)s”。") % {"name": saved.name})
    return _back(spec, query)


@page_open_to(policy.can_use_list_tools)
@require_POST
def list_filter_delete(request: AuthedRequest) -> HttpResponse:
    try:
        spec = _spec_or_404(request)
    except UnknownList:
        return _unknown_list()
    try:
        saved_filter_delete(user=request.user, pk=int(request.POST.get("pk") or 0))
    except (DomainError, ValueError):
        messages.error(request, _("只能删除自己保存的筛选。"))
    else:
        messages.success(request, _("筛选已删除。"))
    return _back(spec, request.POST.get("query", ""))


@page_open_to(policy.can_use_list_tools)
@require_POST
def list_columns_save(request: AuthedRequest) -> HttpResponse:
    try:
        spec = _spec_or_404(request)
    except UnknownList:
        return _unknown_list()
    columns_choose(user=request.user, spec=spec, keys=request.POST.getlist("columns"))
    messages.success(request, _("列设置已保存。"))
    return _back(spec, request.POST.get("query", ""))
