"""Commission services, one module per concern (import from the module that owns the function):

- `plans`: plan versions (K12): validate, check, save, publish, export/import, assign;
- `sales_facts`: the month's sales as calculator facts (credit-share slices, net factors after refunds);
- `ledger_run`: the month's ledger run, `ledger_recalculate` (K1–K10);
- `ledger_writing`: infrastructure: new lines in bulk (PostgreSQL COPY) and bulk updates of open lines;
- `collection`: K8 payable as orders are collected, K10 clawbacks when money comes back;
- `forfeit`: K11 forfeit of a payee's unpaid lines;
- `periods`: closing a month (`commission_period_close`).

THE CONTRACT with settlements (see README "Commission ledger"):
- these modules write CommissionLine rows and move them pending → payable (K8) or → forfeited (K11);
- they never change a line whose status is settled or paid, and never recompute a closed period
  (`selectors.period_is_closed`); corrections of such lines are new lines (negative for clawbacks) in an
  open period, with `corrects` pointing at the original;
- settlements takes `payable` lines, marks them `settled` when the settlement is approved and `paid` at
  payout, and calls `periods.commission_period_close(period=…)` when a month's settlement is approved.
"""
