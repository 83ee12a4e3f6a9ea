"""Issue 16/17 pages: import leads, customers, contacts or opportunities from Excel/CSV as a background
job — upload (with the template to download), the job page that polls its progress (htmx), the
row-by-row report on the page and as .xlsx."""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from common.access import page_open_to
from common.auth import AuthedRequest
from common.errors import DomainError
from common.forms import add_domain_error
from crm import policy
from crm.models import ImportJob, ImportKind
from crm.services import imports as services
from crm.views.paging import page_context

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
REPORT_ROWS_ON_PAGE = 500  # the rest is in the downloadable report


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("导入内容"), choices=ImportKind.choices)
    file = forms.FileField(
        label=gettext_lazy("Excel 或 CSV 文件"),
        help_text=gettext_lazy("第1行为表头，与模板相同；文件在后台导入，可离开本页稍后查看结果。"),
    )

    def __init__(self, *args, kinds: list[str], **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        choices = [(k, label) for k, label in ImportKind.choices if k in kinds]
        self.fields["kind"].choices = choices  # type: ignore[attr-defined]


def _kind_or_404(request: AuthedRequest, kind: str) -> str:
    if kind not in policy.import_kinds_for(request.user):
        raise Http404
    return kind


def _job_or_404(request: AuthedRequest, pk: int) -> ImportJob:
    job = policy.import_jobs_visible_to(request.user).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


def start_import(request: AuthedRequest, form: forms.Form, kind: str) -> HttpResponse | None:
    """Queue the upload; on a bad file, the form says why (nothing is queued)."""
    upload = form.cleaned_data["file"]
    try:
        job = services.import_job_start(
            by=request.user, kind=kind, filename=upload.name, content=upload.read()
        )
    except DomainError as exc:
        add_domain_error(form, exc)
        return None
    return redirect("crm:import_job", pk=job.pk)


@page_open_to(policy.can_open_imports)
@require_http_methods(["GET", "POST"])
def import_start(request: AuthedRequest) -> HttpResponse:
    kinds = policy.import_kinds_for(request.user)
    initial_kind = request.GET.get("kind") if request.GET.get("kind") in kinds else kinds[0]
    form = ImportForm(
        request.POST or None, request.FILES or None, kinds=kinds, initial={"kind": initial_kind}
    )
    if request.method == "POST" and form.is_valid():
        response = start_import(request, form, _kind_or_404(request, form.cleaned_data["kind"]))
        if response is not None:
            return response
    jobs = policy.import_jobs_visible_to(request.user)
    return render(
        request,
        "crm/import_start.html",
        {"form": form, "kinds": [(k, ImportKind(k).label) for k in kinds], **page_context(request, jobs)},
    )


@page_open_to(policy.can_open_imports)
def import_template(request: AuthedRequest) -> HttpResponse:
    kinds = policy.import_kinds_for(request.user)
    kind = _kind_or_404(request, request.GET.get("kind") or kinds[0])
    response = HttpResponse(services.import_template_xlsx(kind=kind, by=request.user), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="import-{kind}-template.xlsx"'
    return response


@page_open_to(policy.can_open_imports)
def import_job(request: AuthedRequest, pk: int) -> HttpResponse:
    """The job page; htmx asks for the progress part again every 2 s until the job has finished."""
    job = _job_or_404(request, pk)
    rows = services.import_report_rows(job) if job.finished else []
    context = {
        "job": job,
        "rows": rows[:REPORT_ROWS_ON_PAGE],
        "more_rows": max(len(rows) - REPORT_ROWS_ON_PAGE, 0),
    }
    if request.headers.get("HX-Request"):
        return render(request, "crm/_import_progress.html", context)
    return render(request, "crm/import_job.html", context)


@page_open_to(policy.can_open_imports)
def import_report(request: AuthedRequest, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    if not job.finished:
        raise Http404
    response = HttpResponse(services.import_report_xlsx(job), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-report.xlsx"'
    return response
