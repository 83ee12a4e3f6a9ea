"""Issue 17: one way to write the audit trail (`AuditEvent`), used by logins, tokens, customer edits,
exports and every change made in the Django admin (which is where settings/policies are edited)."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from django.db import models
from django.utils import timezone


def _ip(request: Any) -> str | None:
    if request is None:
        return None
    meta = getattr(request, "META", {}) or {}
    return meta.get("REMOTE_ADDR") or None


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date | decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return str(value.pk)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{field: {"from": old, "to": new}} for the fields whose value changed."""
    return {
        k: {"from": _plain(before.get(k)), "to": _plain(after.get(k))}
        for k in sorted(set(before) | set(after))
        if _plain(before.get(k)) != _plain(after.get(k))
    }


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The concrete field values of a row (foreign keys as ids), for before/after."""
    return {f.attname: _plain(getattr(obj, f.attname)) for f in obj._meta.concrete_fields}


def audit_record(
    *,
    action: str,
    actor: Any = None,
    actor_name: str = "",
    obj: models.Model | None = None,
    changes: dict[str, Any] | None = None,
    detail: dict[str, Any] | None = None,
    request: Any = None,
) -> Any:
    from common.models import AuditEvent

    user = actor if actor is not None and getattr(actor, "pk", None) else None
    return AuditEvent.objects.create(
        at=timezone.now(),
        actor=user,
        actor_name=(actor_name or (user.get_username() if user else ""))[:150],
        action=action,
        object_type=obj._meta.label if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        changes=changes or {},
        detail={k: _plain(v) for k, v in (detail or {}).items()},
        ip=_ip(request),
    )


# --- signal receivers and the admin hook (connected in CommonConfig.ready) -------------------------


def on_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action="login", actor=user, request=request)


def on_login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    audit_record(action="login_failed", actor_name=str(credentials.get("username", "")), request=request)


def on_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(action="logout", actor=user, request=request)


def install_admin_audit() -> None:
    """Every save and delete through the Django admin is recorded with before/after values (admins edit
    the org, users, roles, and all settings/policies there)."""
    from django.contrib import admin

    if getattr(admin.ModelAdmin, "_audited", False):
        return
    original_save, original_delete = admin.ModelAdmin.save_model, admin.ModelAdmin.delete_model

    def save_model(self: Any, request: Any, obj: Any, form: Any, change: bool) -> None:
        before: dict[str, Any] = {}
        if change and obj.pk is not None:
            old = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = snapshot(old) if old is not None else {}
        original_save(self, request, obj, form, change)
        changes = diff(before, snapshot(obj))
        if "password" in changes:  # that it changed, never the hashes
            changes["password"] = {"from": "***", "to": "***"}
        audit_record(
            action="admin_change",
            actor=request.user,
            obj=obj,
            changes=changes,
            detail={"added": not change},
            request=request,
        )

    def delete_model(self: Any, request: Any, obj: Any) -> None:
        before = snapshot(obj)
        before.pop("password", None)
        audit_record(
            action="admin_delete",
            actor=request.user,
            obj=obj,
            changes=diff(before, {}),
            request=request,
        )
        original_delete(self, request, obj)

    admin.ModelAdmin.save_model = save_model  # type: ignore[method-assign]
    admin.ModelAdmin.delete_model = delete_model  # type: ignore[method-assign]
    admin.ModelAdmin._audited = True  # type: ignore[attr-defined]
