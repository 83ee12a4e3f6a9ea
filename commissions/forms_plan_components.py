"""The commission plan editor's sections for the components without bands (issue 15): target-step
bonuses, category/rebate/key-account rates, grade and performance rates, margin, below-floor and
target-share components — each as its settings plus rows (steps, categories, grades), percentages and
attainments in percent, categories and classes chosen by name. Shapes only: the calculator's own checks
(`validate_plan`) are placed on the rows and fields by commissions.services.plan_editing."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from commissions.services.plan_editing import FieldErrors

HUNDRED = Decimal("100")
# A completion rate is a percentage of the target and may go well past 100%.
ATTAINMENT_MAX = Decimal("1000")


def percent_of(value: Any) -> Decimal | None:
    """A stored fraction shown in percent without trailing zeros: "0.015" → 1.5, "1.10" → 110."""
    if value is None or value == "":
        return None
    return Decimal(f"{(Decimal(str(value)) * HUNDRED).normalize():f}")


def fraction(value: Decimal) -> str:
    """A typed percentage stored as the calculator reads it: 1.5 → "0.015"."""
    return f"{value.scaleb(-2).normalize():f}"


def rate_field(label: Any, *, required: bool = True, max_value: Decimal = HUNDRED, **kw: Any) -> forms.Field:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal("0"),
        max_value=max_value,
        max_digits=9,
        decimal_places=4,
        **kw,
    )


def _note() -> forms.CharField:
    return forms.CharField(label=_lazy("说明"), max_length=100, required=False)


# --- the rows ----------------------------------------------------------------------------------------


class StepRow(forms.Form):
    """K3: one step of a target bonus — from this completion rate, this rate on the sales."""

    at_least = rate_field(_lazy("完成率达到（%）"), max_value=ATTAINMENT_MAX)
    rate = rate_field(_lazy("奖励比例（%）"))
    label = _note()


class ChosenKeyRow(forms.Form):
    """A row whose key is chosen from a list (categories, key-account classes)."""

    key = forms.ChoiceField()

    def __init__(self, *args: Any, key_choices: list[tuple[str, Any]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["key"].choices = [("", "——"), *(key_choices or [])]  # type: ignore[attr-defined]


class CategoryRow(ChosenKeyRow):
    """K4 / K13: one category and its rate (the category chosen by name)."""

    key = forms.ChoiceField(label=_lazy("产品类别"))
    rate = rate_field(_lazy("比例（%）"))
    label = _note()


class KeyAccountRow(ChosenKeyRow):
    key = forms.ChoiceField(label=_lazy("大客户级别"))
    rate = rate_field(_lazy("比例（%）"))
    label = _note()


class PerformanceRow(forms.Form):
    """001 销售部 2.3: a performance grade (A/B/C) and its rate on the adjusted base."""

    key = forms.CharField(label=_lazy("绩效等级"), max_length=10)
    rate = rate_field(_lazy("比例（%）"))
    label = _note()


class GradeRow(forms.Form):
    """K6: a grade with its fixed rate and its floating maximum."""

    key = forms.CharField(label=_lazy("职级"), max_length=10)
    fixed = rate_field(_lazy("固定比例（%）"))
    floating_max = rate_field(_lazy("浮动比例上限（%）"))


class KeyedRows(forms.BaseFormSet):  # type: ignore[type-arg]
    """Rows keyed by category, class or grade: each key once."""

    def clean(self) -> None:
        seen: set[str] = set()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            key = data.get("key")
            if not key or data.get("DELETE"):
                continue
            key = str(key).strip()
            if key in seen:
                form.add_error("key", _("同一项只能出现一次。"))
            seen.add(key)


# --- the settings of each kind ------------------------------------------------------------------------


class ComponentSettings(forms.Form):
    """Every component has a name; the subclasses add the kind's own settings. `PERCENT` fields are typed
    in percent and stored as fractions; `DEFAULTS` are the calculator's defaults, shown when unset."""

    PERCENT: tuple[str, ...] = ()
    DEFAULTS: dict[str, str] = {}
    label = forms.CharField(label=_lazy("组成名称"), max_length=100)


class TargetBonusSettings(ComponentSettings):
    period = forms.ChoiceField(
        label=_lazy("考核目标"), choices=[("month", _lazy("月度目标")), ("year", _lazy("年度目标"))]
    )
    DEFAULTS = {"period": "month"}


class CategoryRatesSettings(ComponentSettings):
    default_rate = rate_field(
        _lazy("其他类别比例（%）"), required=False, help_text=_lazy("未列出的类别按此比例；留空则不计提。")
    )
    PERCENT = ("default_rate",)


class KeyAccountSettings(ComponentSettings):
    uplift = rate_field(
        _lazy("新开发/升级加点（%）"), help_text=_lazy("新开发或级别提升的大客户，比例加上此数。")
    )
    year_end_bonus = rate_field(
        _lazy("年终奖励（%）"), help_text=_lazy("完成年度目标时，按大客户提成的此比例奖励。")
    )
    advance_ratio = rate_field(_lazy("预发比例（%）"))
    PERCENT = ("uplift", "year_end_bonus", "advance_ratio")
    DEFAULTS = {"uplift": "0", "year_end_bonus": "0", "advance_ratio": "1"}


class GradeSettings(ComponentSettings):
    floating_from = rate_field(
        _lazy("浮动起点完成率（%）"),
        max_value=ATTAINMENT_MAX,
        help_text=_lazy("完成率达到此数起开始有浮动提成。"),
    )
    floating_full = rate_field(
        _lazy("浮动满额完成率（%）"),
        max_value=ATTAINMENT_MAX,
        help_text=_lazy("完成率达到此数时浮动提成达到上限。"),
    )
    PERCENT = ("floating_from", "floating_full")
    DEFAULTS = {"floating_from": "1", "floating_full": "1.2"}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("floating_from"), data.get("floating_full")
        if low is not None and high is not None and high <= low:
            self.add_error("floating_full", _("满额完成率必须高于起点完成率。"))
        return data


class ProfitAdjustedSettings(ComponentSettings):
    profit_ratio = rate_field(
        _lazy("部门利润比例（%）"), help_text=_lazy("提成基数 = 销售额 × 部门利润比例（未单独核定时）。")
    )
    PERCENT = ("profit_ratio",)


class MarginSettings(ComponentSettings):
    rate = rate_field(_lazy("毛利提成比例（%）"))
    categories = forms.MultipleChoiceField(
        label=_lazy("按毛利计提的类别"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _lazy("请至少选择一个类别。")},
    )
    PERCENT = ("rate",)


class BelowFloorSettings(ComponentSettings):
    margin_rate = rate_field(
        _lazy("未核定时的毛利提成比例（%）"),
        required=False,
        help_text=_lazy("审批人未核定比例的低于底价销售，按毛利乘以此比例；留空则不计提。"),
    )
    PERCENT = ("margin_rate",)


class TargetShareSettings(ComponentSettings):
    of = forms.MultipleChoiceField(
        label=_lazy("以哪些组成的提成为基数"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _lazy("请至少选择一个组成作为基数。")},
    )
    rate = rate_field(_lazy("奖励比例（%）"))
    at_least = rate_field(_lazy("完成率达到（%）"), max_value=ATTAINMENT_MAX)
    PERCENT = ("rate", "at_least")
    DEFAULTS = {"at_least": "1"}


@dataclass(frozen=True)
class Kind:
    """How one component type is edited: its settings, and its rows (the JSON key they live under, a
    list or a keyed map, their form)."""

    title: Any
    settings: type[ComponentSettings]
    rows_key: str = ""
    row: type[forms.Form] | None = None
    keyed: bool = False
    add_label: Any = ""


KINDS: dict[str, Kind] = {
    "target_bonus": Kind(
        _lazy("目标奖励（达到完成率档位，按销售额计奖励）"),
        TargetBonusSettings,
        "steps",
        StepRow,
        False,
        _lazy("添加档位"),
    ),
    "category_rates": Kind(
        _lazy("按类别计提"), CategoryRatesSettings, "rates", CategoryRow, True, _lazy("添加类别")
    ),
    "rebate": Kind(
        _lazy("合伙人返利（按类别）"), CategoryRatesSettings, "rates", CategoryRow, True, _lazy("添加类别")
    ),
    "key_account": Kind(
        _lazy("大客户提成（按级别）"), KeyAccountSettings, "rates", KeyAccountRow, True, _lazy("添加级别")
    ),
    "profit_adjusted": Kind(
        _lazy("绩效提成（利润调整基数）"),
        ProfitAdjustedSettings,
        "grades",
        PerformanceRow,
        True,
        _lazy("添加等级"),
    ),
    "grade": Kind(
        _lazy("职级提成（固定 + 浮动）"), GradeSettings, "grades", GradeRow, True, _lazy("添加职级")
    ),
    "margin": Kind(_lazy("按毛利计提"), MarginSettings),
    "below_floor": Kind(_lazy("低于底价销售"), BelowFloorSettings),
    "target_share": Kind(_lazy("完成目标奖励（按其他组成提成的比例）"), TargetShareSettings),
}


def _choices_with(choices: list[tuple[str, Any]], kept: list[str]) -> list[tuple[str, Any]]:
    """The choices, plus any value the plan already uses that is no longer in the list (kept, not lost)."""
    known = {value for value, _label in choices}
    return [*choices, *[(value, value) for value in kept if value not in known]]


class KindSection:
    """One component of a kind without bands: its settings form and, for most kinds, its rows."""

    banded = False

    def __init__(
        self,
        index: int,
        component: dict[str, Any],
        data: Any | None,
        *,
        categories: list[tuple[str, Any]],
        classes: list[tuple[str, Any]],
        siblings: list[tuple[str, Any]],
    ) -> None:
        self.index = index
        self.component = component
        self.type = component["type"]
        self.kind = KINDS[self.type]
        prefix = f"c{index}"
        # A section missing from the posted form (an older page) keeps its component as it is.
        self.posted = data is None or f"{prefix}-label" in data
        settings = self.kind.settings
        initial: dict[str, Any] = {"label": component.get("label", "")}
        for name in settings.base_fields:
            if name == "label":
                continue
            value = component.get(name, settings.DEFAULTS.get(name))
            initial[name] = percent_of(value) if name in settings.PERCENT else value
        self.form = settings(data if self.posted else None, prefix=prefix, initial=initial)
        if "categories" in self.form.fields:
            field = self.form.fields["categories"]
            field.choices = _choices_with(categories, list(component.get("categories") or []))  # type: ignore[attr-defined]
        if "of" in self.form.fields:
            self.form.fields["of"].choices = siblings  # type: ignore[attr-defined]
        self.rows: Any = None
        if self.kind.row is not None:
            stored: Any = component.get(self.kind.rows_key) or ({} if self.kind.keyed else [])
            items = list(stored.items()) if self.kind.keyed else list(stored)
            formset = forms.formset_factory(
                self.kind.row,
                formset=KeyedRows if self.kind.keyed else forms.BaseFormSet,
                extra=0,
                can_delete=True,
                max_num=50,
            )
            kwargs: dict[str, Any] = {}
            if issubclass(self.kind.row, ChosenKeyRow):
                choices = categories if self.kind.row is CategoryRow else classes
                used = [key for key, _spec in items] if self.kind.keyed else []
                kwargs["key_choices"] = _choices_with(choices, used)
            self.rows = formset(
                data if self.posted else None,
                prefix=f"{prefix}r",
                initial=[self._row_initial(item) for item in items],
                form_kwargs=kwargs,
            )
        self.table_errors: list[str] = []

    def _row_initial(self, item: Any) -> dict[str, Any]:
        if not self.kind.keyed:
            return {
                "at_least": percent_of(item.get("at_least")),
                "rate": percent_of(item.get("rate")),
                "label": item.get("label", ""),
            }
        key, spec = item
        if self.kind.row is GradeRow:
            return {
                "key": key,
                "fixed": percent_of(spec.get("fixed")),
                "floating_max": percent_of(spec.get("floating_max")),
            }
        if isinstance(spec, dict):
            return {"key": key, "rate": percent_of(spec.get("rate")), "label": spec.get("label", "")}
        return {"key": key, "rate": percent_of(spec), "label": ""}

    @property
    def title(self) -> Any:
        return self.kind.title

    def is_valid(self) -> bool:
        if not self.posted:
            return True
        ok = self.form.is_valid()
        if self.rows is not None:
            ok = self.rows.is_valid() and ok
            if ok and not self.kept_rows():
                self.table_errors.append(_("至少需要一行。"))
                ok = False
        return ok

    def kept_rows(self) -> list[forms.Form]:
        if self.rows is None:
            return []
        return [
            f
            for f in self.rows.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE") and (f.has_changed() or f.initial)
        ]

    def built(self) -> dict[str, Any]:
        """The component as the calculator reads it (strings for numbers)."""
        comp = copy.deepcopy(self.component)
        if not self.posted:
            return comp
        data = self.form.cleaned_data
        settings = self.kind.settings
        comp["label"] = data["label"]
        for name in settings.base_fields:
            if name == "label":
                continue
            value = data.get(name)
            if name in settings.PERCENT:
                if value is None:
                    comp.pop(name, None)
                else:
                    comp[name] = fraction(value)
            else:
                comp[name] = list(value) if isinstance(value, list | tuple) else value
        if self.rows is not None:
            comp[self.kind.rows_key] = self._rows_built()
        return comp

    def _rows_built(self) -> Any:
        rows = [f.cleaned_data for f in self.kept_rows()]
        if not self.kind.keyed:
            return [
                {"at_least": fraction(d["at_least"]), "rate": fraction(d["rate"])}
                | ({"label": d["label"]} if d.get("label") else {})
                for d in rows
            ]
        out: dict[str, Any] = {}
        for d in rows:
            key = str(d["key"]).strip()
            if self.kind.row is GradeRow:
                out[key] = {"fixed": fraction(d["fixed"]), "floating_max": fraction(d["floating_max"])}
            elif d.get("label"):
                out[key] = {"rate": fraction(d["rate"]), "label": d["label"]}
            else:
                out[key] = fraction(d["rate"])
        return out

    def place_errors(self, errors: FieldErrors) -> bool:
        """Put the calculator's messages about this component on its rows and fields."""
        rows = self.kept_rows()
        keys = [str(f.cleaned_data.get("key", "")).strip() for f in rows]
        for where, name, message in errors.items:
            target: forms.Form | None = self.form if name in self.form.fields else None
            if where is not None:
                index = keys.index(where) if isinstance(where, str) and where in keys else where
                target = rows[index] if isinstance(index, int) and index < len(rows) else None
            if target is None:
                self.table_errors.append(message)
            elif name in target.fields:
                target.add_error(name, message)
            else:
                target.add_error(None, message)
        return bool(errors.items)
