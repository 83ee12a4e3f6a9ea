"""Issue 15: every component kind the calculator supports is edited in the plan form — target steps,
category / class / grade rates, margin, below-floor and target-share settings — with rows added and
removed, each problem on the field it is about, what was typed kept, and the live preview."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from commissions.models import CommissionPlan
from tests.commissions.factories import install_plan
from tests.commissions.test_plan_editor import form_data

pytestmark = pytest.mark.django_db

START = dt.timedelta(days=40)
STEPS = [
    ("100", "1", "完成年度目标100%"),
    ("110", "1.5", "完成年度目标110%"),
    ("120", "2", "完成年度目标120%"),
]


def progressive_data(
    steps: list[tuple[str, str, str]] = STEPS, *, margin_rate: str = "10", **extra: Any
) -> dict[str, Any]:
    """The whole sales_progressive form: bands (c0), the annual target steps (c1), below floor (c2)."""
    data = form_data()
    data.update(
        {
            "c1-label": "奖励提成（完成年度销售目标）",
            "c1-period": "year",
            "c1r-TOTAL_FORMS": str(len(steps)),
            "c1r-INITIAL_FORMS": "3",
            "c2-label": "低于底价销售提成",
            "c2-margin_rate": margin_rate,
        }
    )
    for i, (at_least, rate, label) in enumerate(steps):
        data.update({f"c1r-{i}-at_least": at_least, f"c1r-{i}-rate": rate, f"c1r-{i}-label": label})
    data.update(extra)
    return data


def category_data(rows: list[tuple[str, str, str]], **extra: Any) -> dict[str, Any]:
    """The whole category_rates form: category rows (c0), margin (c1), below floor (c2)."""
    data: dict[str, Any] = {
        "name": "公司销售人员提成管理制度（按产品类别）",
        "effective_from": (timezone.localdate() + START).isoformat(),
        "c0-label": "类别提成",
        "c0-default_rate": "",
        "c0r-TOTAL_FORMS": str(len(rows)),
        "c0r-INITIAL_FORMS": "4",
        "c1-label": "外调产品毛利提成",
        "c1-rate": "10",
        "c1-categories": ["sourced"],
        "c2-label": "低于底价销售提成",
        "c2-margin_rate": "10",
        "save": "1",
    }
    for i, (key, rate, label) in enumerate(rows):
        data.update({f"c0r-{i}-key": key, f"c0r-{i}-rate": rate, f"c0r-{i}-label": label})
    data.update(extra)
    return data


CATEGORIES = [
    ("regular", "5", "普通产品 5%"),
    ("high_end", "8", "高端产品 8%"),
    ("new_product", "10", "新产品推广 10%"),
    ("partner_referral", "5", "合作伙伴推荐 5%"),
]


def test_target_steps_and_below_floor_are_fields_in_percent_not_read_only(client, org) -> None:  # type: ignore[no-untyped-def]
    plan = install_plan("sales_progressive")
    client.force_login(org.finance)
    html = client.get(reverse("commissions:plan_edit", args=[plan.pk])).content.decode()
    assert 'name="c1r-1-at_least" id="id_c1r-1-at_least" value="110"' in html  # 110%, not 1.10
    assert 'name="c1r-1-rate" id="id_c1r-1-rate" value="1.5"' in html
    assert '<option value="year" selected>年度目标</option>' in html
    assert 'name="c2-margin_rate"' in html and 'value="10"' in html
    assert "添加档位" in html and "删除此行" in html


def test_a_valid_edit_of_steps_and_below_floor_saves_exactly(client, org) -> None:  # type: ignore[no-untyped-def]
    plan = install_plan("sales_progressive")
    client.force_login(org.finance)
    steps = [
        STEPS[0],
        ("110", "1.6", "完成年度目标110%"),
        STEPS[2],
        ("130", "2.5", ""),
    ]  # one changed, one added
    resp = client.post(
        reverse("commissions:plan_edit", args=[plan.pk]),
        {**progressive_data(steps, margin_rate=""), "save": "1"},
    )
    assert resp.status_code == 302
    new = CommissionPlan.objects.exclude(pk=plan.pk).get()
    target, below = new.definition["components"][1:]
    assert target == {
        "id": "target",
        "type": "target_bonus",
        "label": "奖励提成（完成年度销售目标）",
        "period": "year",
        "steps": [
            {"at_least": "1", "rate": "0.01", "label": "完成年度目标100%"},
            {"at_least": "1.1", "rate": "0.016", "label": "完成年度目标110%"},
            {"at_least": "1.2", "rate": "0.02", "label": "完成年度目标120%"},
            {"at_least": "1.3", "rate": "0.025"},
        ],
    }
    assert below == {
        "id": "below_floor",
        "type": "below_floor",
        "label": "低于底价销售提成",
    }  # rate left empty


def test_steps_out_of_order_are_refused_on_their_row_and_what_was_typed_is_kept(client, org) -> None:  # type: ignore[no-untyped-def]
    plan = install_plan("sales_progressive")
    client.force_login(org.finance)
    steps = [STEPS[0], ("95", "1.5", "完成年度目标95%"), STEPS[2]]
    resp = client.post(
        reverse("commissions:plan_edit", args=[plan.pk]), {**progressive_data(steps), "save": "1"}
    )
    html = resp.content.decode()
    assert resp.status_code == 200
    section = html.split('data-kind="target_bonus"')[1].split("</section>")[0]
    row = section.split("第 2 行</legend>")[1].split("</fieldset>")[0]
    assert "完成率门槛必须逐档递增" in row
    assert 'value="95"' in row and 'value="完成年度目标95%"' in row
    assert CommissionPlan.objects.count() == 1


def test_category_rates_rows_are_edited_added_and_removed(client, org) -> None:  # type: ignore[no-untyped-def]
    plan = install_plan("category_rates")
    client.force_login(org.finance)
    rows = [("regular", "6", "普通产品 6%"), *CATEGORIES[1:], ("books", "15", "")]
    data = category_data(rows, **{"c0r-3-DELETE": "on", "c1-categories": ["sourced", "high_end"]})
    data["c0r-TOTAL_FORMS"] = "5"
    assert client.post(reverse("commissions:plan_edit", args=[plan.pk]), data).status_code == 302
    new = CommissionPlan.objects.exclude(pk=plan.pk).get()
    category, margin, _below = new.definition["components"]
    assert category["rates"] == {
        "regular": {"rate": "0.06", "label": "普通产品 6%"},
        "high_end": {"rate": "0.08", "label": "高端产品 8%"},
        "new_product": {"rate": "0.1", "label": "新产品推广 10%"},
        "books": "0.15",
    }
    assert "default_rate" not in category
    assert margin["categories"] == ["sourced", "high_end"] and margin["rate"] == "0.1"


def test_a_category_twice_and_a_rate_over_100_percent_are_refused_per_field(client, org) -> None:  # type: ignore[no-untyped-def]
    plan = install_plan("category_rates")
    client.force_login(org.finance)
    rows = [*CATEGORIES[:3], ("regular", "120", "重复")]
    html = client.post(reverse("commissions:plan_edit", args=[plan.pk]), category_data(rows)).content.decode()
    row = html.split('data-kind="category_rates"')[1].split("第 4 行</legend>")[1].split("</fieldset>")[0]
    assert "同一项只能出现一次。" in row
    assert "确保该值小于或等于100。" in row
    assert 'value="120"' in row and 'value="重复"' in row  # kept as typed
    assert CommissionPlan.objects.count() == 1


def test_grade_floating_range_is_checked_on_its_field(client, org) -> None:  # type: ignore[no-untyped-def]
    plan = install_plan("grade_fixed_floating")
    client.force_login(org.finance)
    data = {
        "name": plan.name,
        "effective_from": (timezone.localdate() + START).isoformat(),
        "c0-label": "职级提成",
        "c0-floating_from": "120",
        "c0-floating_full": "100",
        "c0r-TOTAL_FORMS": "1",
        "c0r-INITIAL_FORMS": "3",
        "c0r-0-key": "A",
        "c0r-0-fixed": "5",
        "c0r-0-floating_max": "3",
        "save": "1",
    }
    html = client.post(reverse("commissions:plan_edit", args=[plan.pk]), data).content.decode()
    assert "满额完成率必须高于起点完成率。" in html
    assert CommissionPlan.objects.count() == 1
    data["c0-floating_full"] = "150"
    assert client.post(reverse("commissions:plan_edit", args=[plan.pk]), data).status_code == 302
    comp = CommissionPlan.objects.exclude(pk=plan.pk).get().definition["components"][0]
    assert (comp["floating_from"], comp["floating_full"]) == ("1.2", "1.5")
    assert comp["grades"] == {"A": {"fixed": "0.05", "floating_max": "0.03"}}  # B and C removed


def test_target_share_names_its_base_components_by_label(client, org) -> None:  # type: ignore[no-untyped-def]
    plan = install_plan("marketing")
    client.force_login(org.finance)
    url = reverse("commissions:plan_edit", args=[plan.pk])
    html = client.get(url).content.decode()
    assert "销售额提成" in html.split('data-kind="target_share"')[1]  # the base by its label, not "base"
    data = {
        "name": plan.name,
        "effective_from": (timezone.localdate() + START).isoformat(),
        "c0-label": "销售额提成",
        "c0b-TOTAL_FORMS": "2",
        "c0b-INITIAL_FORMS": "2",
        "c0b-0-low": "0",
        "c0b-0-high": "10000",
        "c0b-0-rate": "10",
        "c0b-1-low": "10000",
        "c0b-1-high": "",
        "c0b-1-rate": "15",
        "c1-label": "完成目标提成",
        "c1-rate": "25",
        "c1-at_least": "100",
        "save": "1",
    }
    html = client.post(url, data).content.decode()
    assert "请至少选择一个组成作为基数。" in html.split('data-kind="target_share"')[1]  # no base chosen
    assert CommissionPlan.objects.count() == 1
    assert client.post(url, {**data, "c1-of": ["base"]}).status_code == 302
    comp = CommissionPlan.objects.exclude(pk=plan.pk).get().definition["components"][1]
    assert (comp["of"], comp["rate"], comp["at_least"]) == (["base"], "0.25", "1")


def test_the_preview_applies_the_edited_steps_at_a_sample_completion_rate(client, org) -> None:  # type: ignore[no-untyped-def]
    plan = install_plan("sales_progressive")
    client.force_login(org.finance)
    steps = [STEPS[0], ("110", "2", "完成年度目标110%"), ("120", "3", "完成年度目标120%")]
    data = {
        **progressive_data(steps),
        "preview": "1",
        "sample_sales": "200000",
        "sample_attainment": "115",
        "sample_category": "regular",
        "sample_year_end": "on",
    }
    html = client.post(
        reverse("commissions:plan_edit", args=[plan.pk]), data, HTTP_HX_REQUEST="true"
    ).content.decode()
    # bands: 10万 × 3% + 10万 × 5% = 8,000; the 110% step (115% reached): 20万 × 2% = 4,000
    assert '<strong class="preview-total">¥12,000.00</strong>' in html
    assert "（完成率 115%）" in html and "完成年度目标110%" in html and "¥4,000.00" in html
    assert CommissionPlan.objects.count() == 1
