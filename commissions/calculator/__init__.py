"""SPEC §5: the commission calculator — a pure function of (plan definition, facts) → result.

No database access and no ORM import: plain dataclasses in, plain dataclasses out, Decimal only.
Every band/step/category amount is computed at full precision and rounded half-up to the fen once, as
its own line; the total is the sum of the rounded lines (so a sheet and the system always agree).
Every line carries its explanation (component, base, band or step, rate, amount).

The plan format (the JSON in `commissions/plans/*.json`) is documented in the README, section
"Commission plans". One module per concern, import from the one that owns the name:

- `facts`: what goes in (`LineFact`, `Facts`, `facts_from_dict`);
- `result`: what comes out (`ResultLine`, `Result`) and how amounts are written in words;
- `validation`: the plan format (`COMPONENT_TYPES`, `PlanError`, `validate_plan`, `check_plan`);
- `components`: one function per component type (K1–K7, K9, K13, 001's 市场部 / 利润比例 schemes);
- `engine`: a plan applied to facts (`calculate`, `year_end_calculate`, `what_if`, `earned_weight`);
- `describe`: a plan in words for the people it pays (K12).
"""
