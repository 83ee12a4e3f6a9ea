"""Settlement services (SPEC §6), one module per concern (import from the module that owns the function):

- `workflow`: the approval chain (S2): the transitions table, who may act, transitions, inboxes;
- `generation`: generating the month's drafts from payable ledger lines (S1/S3), deferring a line;
- `disputes`: disputes and their answers (S7);
- `payouts`: recording the bank transfer (S8);
- `overdue`: flagging overdue steps (S1).

Views, the API, the admin and Celery tasks call these and nothing else.
"""
