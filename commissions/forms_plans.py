"""The commission plan editor's forms (issue 15): the plan's name and version dates, each banded
component as a section with its bands as rows (amounts in yuan, rates in percent) — no JSON. Shapes
only: commissions.services.plan_editing places the calculator's messages on the rows."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from commissions.services.plan_editing import BAND_TYPES, band_errors, component_errors

HUNDRED = Decimal("100")
DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _number(value: Any) -> Decimal | None:
    """A stored number shown without trailing zeros or exponent: "100000" → 100000, "0.030" → 3."""
    if value is None or value == "":
        return None
    return Decimal(f"{Decimal(str(value)).normalize():f}")


def _text(value: Decimal) -> str:
    return f"{value.normalize():f}"


class PlanHeaderForm(forms.Form):
    name = forms.CharField(label=_("方案名称"), max_length=100)
    effective_from = forms.DateField(
        label=_("新版本生效日期"),
        widget=DATE,
        help_text=_("保存为从该日起生效的方案版本；已生效的版本不能修改，请另选日期。"),
    )
    effective_to = forms.DateField(label=_("失效日期"), widget=DATE, required=False)
    publish = forms.BooleanField(
        label=_("同时公布"),
        required=False,
        help_text=_("公布后须至少提前规定天数生效，并通知适用人员。"),
    )
    override_reason = forms.CharField(
        label=_("提前生效原因"),
        required=False,
        max_length=300,
        help_text=_("仅当生效日期早于公告期满时填写，须由系统管理员批准。"),
    )


class ComponentForm(forms.Form):
    label = forms.CharField(label=_("组成名称"), max_length=100)


class BandForm(forms.Form):
    low = forms.DecimalField(label=_("从（元）"), min_value=Decimal("0"), max_digits=16, decimal_places=2)
    low_inclusive = forms.BooleanField(label=_("含下限"), required=False)
    high = forms.DecimalField(
        label=_("至（元）"), required=False, min_value=Decimal("0"), max_digits=16, decimal_places=2
    )
    high_inclusive = forms.BooleanField(label=_("含上限"), required=False)
    rate = forms.DecimalField(
        label=_("比例（%）"), min_value=Decimal("0"), max_value=HUNDRED, max_digits=9, decimal_places=4
    )
    label = forms.CharField(label=_("说明"), max_length=100, required=False)


BandFormSet = forms.formset_factory(BandForm, extra=0, can_delete=True, max_num=30)


class ComponentSection:
    """One banded component: its name form and its band rows."""

    banded = True

    def __init__(self, index: int, component: dict[str, Any], data: Any | None) -> None:
        self.index = index
        self.component = component
        self.type = component["type"]
        self.edges = self.type == "bracket"
        prefix = f"c{index}"
        self.form = ComponentForm(data, prefix=prefix, initial={"label": component.get("label", "")})
        low, high = ("min", "max") if self.edges else ("from", "to")
        initial = [
            {
                "low": _number(band.get(low)),
                "high": _number(band.get(high)),
                "low_inclusive": bool(band.get("min_inclusive", True)),
                "high_inclusive": bool(band.get("max_inclusive", False)),
                "rate": _number(Decimal(str(band["rate"])) * HUNDRED)
                if band.get("rate") is not None
                else None,
                "label": band.get("label", ""),
            }
            for band in component.get("bands", [])
        ]
        self.bands = BandFormSet(data, prefix=f"{prefix}b", initial=initial)
        self.table_errors: list[str] = []

    def is_valid(self) -> bool:
        return self.form.is_valid() & self.bands.is_valid()

    def kept_rows(self) -> list[forms.Form]:
        return [
            f
            for f in self.bands.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and (f.has_changed() or f.initial)
        ]

    def built(self) -> dict[str, Any]:
        """The component as the calculator reads it (strings for numbers)."""
        comp = copy.deepcopy(self.component)
        comp["label"] = self.form.cleaned_data["label"]
        bands = []
        for f in self.kept_rows():
            d = f.cleaned_data
            high = None if d.get("high") is None else _text(d["high"])
            band: dict[str, Any]
            if self.edges:
                band = {"min": _text(d["low"]), "min_inclusive": bool(d.get("low_inclusive")), "max": high}
                if high is not None:
                    band["max_inclusive"] = bool(d.get("high_inclusive"))
            else:
                band = {"from": _text(d["low"]), "to": high}
            band["rate"] = _text(d["rate"].scaleb(-2))
            if d.get("label"):
                band["label"] = d["label"]
            bands.append(band)
        comp["bands"] = bands
        return comp

    def place_errors(self, comp: dict[str, Any]) -> bool:
        """Run the calculator's band checks and put each message on its row; True when there were any."""
        errors = band_errors(comp)
        rows = self.kept_rows()
        for index, by_field in errors.rows.items():
            target = rows[index] if index < len(rows) else None
            for name, messages in by_field.items():
                for message in messages:
                    if target is None:
                        self.table_errors.append(message)
                    else:
                        target.add_error(None if name == "__all__" else name, message)
        self.table_errors.extend(errors.table)
        return bool(errors)


class SampleMonthForm(forms.Form):
    """The preview's sample month besides its sales: the completion rate, the grade, the category sold,
    and whether it is the year-end run (annual target steps)."""

    sample_attainment = forms.DecimalField(
        label=_("示例完成率（%）"),
        required=False,
        min_value=Decimal("0"),
        max_value=Decimal("1000"),
        max_digits=8,
        decimal_places=2,
        help_text=_("留空表示没有销售目标。"),
    )
    sample_grade = forms.ChoiceField(label=_("示例职级/绩效等级"), required=False)
    sample_category = forms.ChoiceField(label=_("示例产品类别"), required=False)
    sample_year_end = forms.BooleanField(label=_("按年终结算试算"), required=False)

    def __init__(
        self, data: Any, *, grades: list[str], categories: list[tuple[str, Any]], **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        self.fields["sample_grade"].choices = [("", "——"), *[(g, g) for g in grades]]  # type: ignore[attr-defined]
        self.fields["sample_category"].choices = categories  # type: ignore[attr-defined]
        self.initial.setdefault("sample_category", "regular")
        if not grades:
            del self.fields["sample_grade"]

    def facts(self) -> dict[str, Any]:
        """The calculator's facts of the sample month (the defaults when unset or mistyped)."""
        if not self.is_bound or not self.is_valid():
            return {"category": "regular"}
        d = self.cleaned_data
        attainment = d.get("sample_attainment")
        return {
            "attainment": None if attainment is None else attainment.scaleb(-2),
            "grade": d.get("sample_grade") or "",
            "category": d.get("sample_category") or "regular",
            "year_end": bool(d.get("sample_year_end")),
        }


class PlanEditor:
    """The whole editor: header, a section per component — bands as rows for the banded ones, settings
    and rows (steps, categories, grades) for the others (commissions.forms_plan_components)."""

    def __init__(self, definition: dict[str, Any], data: Any | None = None, initial: Any = None) -> None:
        from commissions.forms_plan_components import KINDS, KindSection
        from crm.models import Category, KeyAccountClass

        self.definition = definition
        self.header = PlanHeaderForm(data, initial=initial)
        components = definition.get("components", [])
        categories = [(c.code, c.name) for c in Category.objects.order_by("sort_order", "code")]
        self.sections: list[Any] = []
        for i, comp in enumerate(components):
            if comp.get("type") in BAND_TYPES:
                self.sections.append(ComponentSection(i, comp, data))
            elif comp.get("type") in KINDS:
                siblings = [
                    (c["id"], c.get("label") or c["id"])
                    for c in components
                    if c is not comp and c.get("type") != "target_share"
                ]
                self.sections.append(
                    KindSection(
                        i,
                        comp,
                        data,
                        categories=categories,
                        classes=[(v, label) for v, label in KeyAccountClass.choices if v],
                        siblings=siblings,
                    )
                )
        grades = sorted({str(g) for c in components for g in (c.get("grades") or {})})
        self.sample = SampleMonthForm(data, grades=grades, categories=categories)

    def is_valid(self) -> bool:
        ok = self.header.is_valid()
        for section in self.sections:
            ok = section.is_valid() and ok
        if not ok:
            return False
        for section in self.sections:
            if section.banded:
                ok = not section.place_errors(section.built()) and ok
        if not ok:
            return False
        errors = component_errors(self._definition())
        for section in self.sections:
            if not section.banded and section.index in errors:
                ok = not section.place_errors(errors[section.index]) and ok
        return ok

    def _definition(self) -> dict[str, Any]:
        out = copy.deepcopy(self.definition)
        out["name"] = self.header.cleaned_data["name"]
        for section in self.sections:
            out["components"][section.index] = section.built()
        return out

    def built(self) -> dict[str, Any]:
        return self._definition()
