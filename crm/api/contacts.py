"""Issue 16: the contacts list API — the contacts of the customers the caller sees (C11), with the list
page's tools (sort, owner / team / date filters, cursor pages, the total)."""

from __future__ import annotations

from rest_framework import mixins, serializers, viewsets

from common.access import api_open_to
from common.api import ListToolsMixin
from common.auth import request_user
from crm import policy
from crm.api.list_export import ListExportMixin
from crm.lists import CONTACT_LIST
from crm.models import Contact
from crm.selectors import contact_list_for


class ContactListSerializer(serializers.ModelSerializer):
    customer = serializers.IntegerField(source="customer_id", read_only=True)
    customer_name = serializers.CharField(source="customer.name", read_only=True)
    owner = serializers.IntegerField(source="customer.owner_id", read_only=True)
    owner_name = serializers.CharField(source="customer.owner.__str__", read_only=True, default=None)

    class Meta:
        model = Contact
        fields = [
            "id",
            "name",
            "position",
            "role",
            "phone",
            "email",
            "customer",
            "customer_name",
            "owner",
            "owner_name",
            "created_at",
        ]


class ContactViewSet(ListExportMixin, ListToolsMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Contacts of the customers the caller may see: `q` (name, phone, customer), `role`, and the list
    tools (`sort`, `owner`, `team`, `date_from`, `date_to`, `with_total`)."""

    permission_classes = [api_open_to(policy.can_open_customers)]
    serializer_class = ContactListSerializer
    queryset = Contact.objects.none()
    list_spec = CONTACT_LIST

    def get_queryset(self):  # type: ignore[no-untyped-def]
        params = self.request.query_params
        qs = contact_list_for(
            request_user(self.request), q=(params.get("q") or "").strip(), role=params.get("role") or ""
        )
        return self.list_tools(qs).select_related("customer__owner")
