from __future__ import annotations

from typing import Any

from rest_framework import serializers

from crm.models import Contact, Customer, Department, FollowUp, Industry, Outing, Region, User


class CustomerListSerializer(serializers.ModelSerializer):
    owner_name = serializers.SerializerMethodField()
    region_name = serializers.CharField(source="region.name", default=None, read_only=True)
    industry_name = serializers.CharField(source="industry.name", default=None, read_only=True)

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "grade",
            "status",
            "region",
            "region_name",
            "industry",
            "industry_name",
            "owner",
            "owner_name",
            "review_status",
            "last_contacted_at",
        ]

    def get_owner_name(self, obj: Customer) -> str | None:
        return str(obj.owner) if obj.owner_id else None


class CustomerSerializer(serializers.ModelSerializer):
    grade_reason = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="C3: why the grade changed",
    )
    owner_name = serializers.SerializerMethodField()
    first_contact_on = serializers.DateField(
        write_only=True,
        required=False,
        help_text="003 §4.3: date of first contact (default today); more than 7 days ago needs "
        "late_entry_reason, more than 10 is refused",
    )

    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "first_contact_on",
            "first_contact_at",
            "late_entry_reason",
            "credit_code",
            "contact_person",
            "contact_position",
            "phone",
            "status",
            "grade",
            "grade_reason",
            "key_account_class",
            "region",
            "industry",
            "address",
            "website",
            "source",
            "notes",
            "tags",
            "owner",
            "owner_name",
            "account_executive",
            "review_status",
            "review_reason",
            "reviewed_at",
            "last_contacted_at",
            "owned_since",
            "created_at",
        ]
        read_only_fields = [
            "first_contact_at",
            "owner",
            "account_executive",
            "review_status",
            "review_reason",
            "reviewed_at",
            "last_contacted_at",
            "owned_since",
            "created_at",
        ]
        validators: list = []  # C2 duplicates are answered by the service, with the owner's name

    def get_unique_together_validators(self):  # type: ignore[no-untyped-def]
        return []

    def get_owner_name(self, obj: Customer) -> str | None:
        return str(obj.owner) if obj.owner_id else None


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "name", "position", "role", "phone", "email", "notes"]


class FollowUpSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.__str__", read_only=True)

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "occurred_at",
            "channel",
            "purpose",
            "topic",
            "outcome",
            "next_step",
            "next_date",
            "contact",
            "opportunity",
            "author",
            "author_name",
            "created_at",
        ]
        read_only_fields = ["author", "created_at"]
        extra_kwargs = {"occurred_at": {"required": False}}

    def __init__(self, *args: Any, customer: Customer | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if customer is not None:
            # Only this customer's contacts and opportunities are valid choices (C11: no probing ids).
            self.fields["contact"].queryset = customer.contacts.all()  # type: ignore[attr-defined]
            self.fields["opportunity"].queryset = customer.opportunities.all()  # type: ignore[attr-defined]


class OutingSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(write_only=True, max_length=200)
    customer_display = serializers.CharField(source="customer.name", read_only=True)
    user_name = serializers.CharField(source="user.__str__", read_only=True)

    class Meta:
        model = Outing
        fields = [
            "id",
            "user",
            "user_name",
            "customer",
            "customer_display",
            "customer_name",
            "planned_at",
            "purpose",
            "created_at",
        ]
        read_only_fields = ["user", "customer", "created_at"]
        extra_kwargs = {"planned_at": {"required": False}}


class ReviewSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approved", "rejected"])
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AssignSerializer(serializers.Serializer):
    to_user = serializers.PrimaryKeyRelatedField(queryset=User.objects.filter(is_active=True))
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PoolReleaseSerializer(serializers.Serializer):
    customer_ids = serializers.ListField(child=serializers.IntegerField(min_value=1), allow_empty=True)
    reason = serializers.CharField(max_length=200, allow_blank=True, default="")


class RefusedSerializer(serializers.Serializer):
    customer = serializers.CharField()
    reason = serializers.CharField()


class PoolReleaseResultSerializer(serializers.Serializer):
    released = serializers.ListField(child=serializers.IntegerField())
    refused = RefusedSerializer(many=True)


class TimelineItemSerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    text = serializers.CharField()
    by = serializers.CharField(allow_null=True)


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "name", "manager"]


class DepartmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name", "region", "parent", "manager", "path"]


class IndustrySerializer(serializers.ModelSerializer):
    class Meta:
        model = Industry
        fields = ["id", "name"]


class UserLiteSerializer(serializers.ModelSerializer):
    """Org directory: names and places only, no phone numbers or e-mail."""

    name = serializers.CharField(source="__str__", read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "name", "department", "manager", "is_active"]
