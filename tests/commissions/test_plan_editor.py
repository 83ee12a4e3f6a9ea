"""Issue 15: commission plans edited in a form — components as sections, bands as rows (yuan and
percent, no JSON), the calculator's band checks shown on the row they are about, a live preview of what
the plan pays on a sample month, and saving a version through the plan services (K12 kept)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from commissions.models import CommissionPlan
from tests.commissions.factories import install_plan

pytestmark = pytest.mark.django_db

# sales_progressive: 0–10万 3%, 10–50万 5%, 50–100万 7%, 100–500万 8%, 500–1000万 9%, > 1000万 10%
BANDS = [
    ("0", "100000", "3"),
    ("100000", "500000", "5"),
    ("500000", "1000000", "7"),
    ("1000000", "5000000", "8"),
    ("5000000", "10000000", "9"),
    ("10000000", "", "10"),
]


def form_data(
    bands: list[tuple[str, str, str]] = BANDS, *, initial: int = 6, **header: Any
) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "销售部销售提成方案（超额累进 + 目标奖励）",
        "effective_from": (timezone.localdate() + dt.timedelta(days=40)).isoformat(),
        "c0-label": "基本提成（超额累进）",
        "c0b-TOTAL_FORMS": str(len(bands)),
        "c0b-INITIAL_FORMS": str(initial),
    }
    for i, (low, high, rate) in enumerate(bands):
        data.update({f"c0b-{i}-low": low, f"c0b-{i}-high": high, f"c0b-{i}-rate": rate})
    data.update(header)
    return data


@pytest.fixture
def plan(db):  # type: ignore[no-untyped-def]
    return install_plan("sales_progressive")


def test_the_editor_shows_components_as_sections_and_bands_as_rows_without_json(client, org, plan) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org.finance)
    html = client.get(reverse("commissions:plan_edit", args=[plan.pk])).content.decode()
    assert "基本提成（超额累进）" in html
    assert 'name="c0b-1-low" id="id_c0b-1-low" value="100000"' in html
    assert 'name="c0b-1-rate" id="id_c0b-1-rate" value="5"' in html  # 5%, not 0.05
    assert "<textarea" not in html and '"bands"' not in html
    # the components without bands are kept and shown in words
    assert "奖励提成（完成年度销售目标）" in html and "1.5%" in html
    # the preview on the default sample month: 10万 × 3% + 10万 × 5%
    assert '按此方案提成 <strong class="preview-total">¥8,000.00</strong>' in html


def test_the_live_preview_computes_the_edited_bands_on_the_sample_amount(client, org, plan) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org.finance)
    url = reverse("commissions:plan_edit", args=[plan.pk])
    edited = [("0", "100000", "4"), *BANDS[1:]]
    resp = client.post(
        url, {**form_data(edited), "preview": "1", "sample_sales": "600000"}, HTTP_HX_REQUEST="true"
    )
    html = resp.content.decode()
    # a partial: 10万 × 4% + 40万 × 5% + 10万 × 7% = 4,000 + 20,000 + 7,000
    assert html.startswith('<div id="plan-preview"')
    assert '<strong class="preview-total">¥31,000.00</strong>' in html
    assert "4%" in html and "¥400,000.00" in html
    assert CommissionPlan.objects.count() == 1  # nothing saved


def test_a_bad_sample_amount_gets_a_message_not_a_500(client, org, plan) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org.finance)
    url = reverse("commissions:plan_edit", args=[plan.pk])
    resp = client.post(url, {**form_data(), "preview": "1", "sample_sales": "很多"}, HTTP_HX_REQUEST="true")
    assert resp.status_code == 200
    assert "请输入金额，例如 200000。" in resp.content.decode()


def test_a_gap_between_bands_is_shown_on_its_row_and_nothing_is_saved(client, org, plan) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org.finance)
    gap = [BANDS[0], ("120000", "500000", "5"), *BANDS[2:]]
    resp = client.post(reverse("commissions:plan_edit", args=[plan.pk]), {**form_data(gap), "save": "1"})
    html = resp.content.decode()
    assert resp.status_code == 200
    row = html.split("分段 2</legend>")[1].split("</fieldset>")[0]
    assert "分段必须从 100000 开始，与上一段相接，不能有缺口或重叠" in row
    assert 'value="120000"' in row  # the input is kept
    assert CommissionPlan.objects.count() == 1


def test_a_rate_over_100_percent_and_a_last_band_with_an_upper_limit_are_refused_per_field(
    client, org, plan
) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org.finance)
    bad = [*BANDS[:5], ("10000000", "20000000", "120")]
    html = client.post(
        reverse("commissions:plan_edit", args=[plan.pk]), {**form_data(bad), "save": "1"}
    ).content.decode()
    assert "确保该值小于或等于100。" in html
    fixed_rate = [*BANDS[:5], ("10000000", "20000000", "10")]
    html = client.post(
        reverse("commissions:plan_edit", args=[plan.pk]), {**form_data(fixed_rate), "save": "1"}
    ).content.decode()
    assert "最后一段必须没有上限（上限留空）" in html
    assert CommissionPlan.objects.count() == 1


def test_saving_creates_a_new_version_with_rows_added_and_rates_as_fractions(client, org, plan) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org.finance)
    # the last band split in two: a row added (as the page's "添加分段" does) above 2000万 at 12%
    bands = [*BANDS[:5], ("10000000", "20000000", "10"), ("20000000", "", "12")]
    start = timezone.localdate() + dt.timedelta(days=40)
    resp = client.post(
        reverse("commissions:plan_edit", args=[plan.pk]),
        {**form_data(bands, initial=6, effective_from=start.isoformat(), publish="on"), "save": "1"},
    )
    assert resp.status_code == 302
    new = CommissionPlan.objects.get(code="sales_progressive", effective_from=start)
    # publishing submits the new version to its approval chain; it is not announced yet
    assert new.pk != plan.pk and new.published_at is None and new.approval_status == "pending"
    bands_saved = new.definition["components"][0]["bands"]
    assert [(b["from"], b["to"], b["rate"]) for b in bands_saved[-2:]] == [
        ("10000000", "20000000", "0.1"),
        ("20000000", None, "0.12"),
    ]
    assert "label" not in bands_saved[0]  # the row's 说明 box was left empty
    # the other components are kept unchanged
    assert new.definition["components"][1] == plan.definition["components"][1]
    plan.refresh_from_db()
    assert plan.definition["components"][0]["bands"][-1]["to"] is None  # the old version is untouched


def test_a_row_is_removed_with_its_delete_box(client, org, plan) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org.finance)
    bands = [*BANDS[:4], ("5000000", "", "9"), BANDS[5]]
    data = {**form_data(bands), "c0b-5-DELETE": "on", "save": "1"}
    assert client.post(reverse("commissions:plan_edit", args=[plan.pk]), data).status_code == 302
    new = CommissionPlan.objects.exclude(pk=plan.pk).get()
    assert len(new.definition["components"][0]["bands"]) == 5
    assert new.definition["components"][0]["bands"][-1] == {"from": "5000000", "to": None, "rate": "0.09"}


def test_k12_notice_is_kept_an_early_date_needs_the_administrator(client, org, plan) -> None:  # type: ignore[no-untyped-def]
    soon = (timezone.localdate() + dt.timedelta(days=5)).isoformat()
    url = reverse("commissions:plan_edit", args=[plan.pk])
    client.force_login(org.finance)
    html = client.post(url, {**form_data(effective_from=soon, publish="on"), "save": "1"}).content.decode()
    assert "方案须提前 30 天公布" in html
    html = client.post(
        url, {**form_data(effective_from=soon, publish="on", override_reason="公司调整"), "save": "1"}
    ).content.decode()
    assert "只有系统管理员可以批准提前生效。" in html
    assert CommissionPlan.objects.count() == 1
    client.force_login(org.admin)
    resp = client.post(
        url, {**form_data(effective_from=soon, publish="on", override_reason="公司调整"), "save": "1"}
    )
    assert resp.status_code == 302
    assert CommissionPlan.objects.get(effective_from=soon).notice_override_reason == "公司调整"


def test_a_version_in_force_cannot_be_changed_in_place(client, org, plan) -> None:  # type: ignore[no-untyped-def]
    client.force_login(org.finance)
    edited = [("0", "100000", "4"), *BANDS[1:]]
    data = {**form_data(edited, effective_from=plan.effective_from.isoformat()), "save": "1"}
    html = client.post(reverse("commissions:plan_edit", args=[plan.pk]), data).content.decode()
    assert "该方案版本已生效或已用于已结算月份，不能修改" in html
    plan.refresh_from_db()
    assert plan.definition["components"][0]["bands"][0]["rate"] == "0.03"


def test_the_plan_list_searches_and_filters_by_state(client, org, plan) -> None:  # type: ignore[no-untyped-def]
    install_plan("sales_bracket")
    CommissionPlan.objects.create(
        code="draft", name="草稿方案", effective_from=dt.date(2030, 1, 1), definition={}
    )
    client.force_login(org.admin)
    table = (
        client.get(reverse("commissions:plan_list"), {"q": "范本"}).content.decode().split('id="plans"')[1]
    )
    assert "销售提成管理制度范本（全额）" in table and "销售部销售提成方案" not in table
    table = (
        client.get(reverse("commissions:plan_list"), {"state": "draft"})
        .content.decode()
        .split('id="plans"')[1]
    )
    assert "草稿方案" in table and "范本" not in table


@pytest.mark.parametrize("who", ["rep_a1", "manager_a", "president", "vp"])
def test_only_finance_and_the_administrator_open_the_plans(client, org, plan, who) -> None:  # type: ignore[no-untyped-def]
    client.force_login(getattr(org, who))
    assert client.get(reverse("commissions:plan_list")).status_code == 404
    url = reverse("commissions:plan_edit", args=[plan.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {**form_data(), "save": "1"}).status_code == 404
    assert CommissionPlan.objects.count() == 1


def test_the_plan_list_costs_a_fixed_number_of_queries(
    client, org, plan, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import NAV_QUERIES

    for year in range(2031, 2051):
        CommissionPlan.objects.create(
            code="x", name=f"方案{year}", effective_from=dt.date(year, 1, 1), definition={}
        )
    client.force_login(org.finance)
    with django_assert_max_num_queries(4 + NAV_QUERIES):
        assert client.get(reverse("commissions:plan_list")).status_code == 200
