from __future__ import annotations

from rest_framework import serializers

from crm.models import Contact, Customer, FollowUp, Outing


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
    class Meta:
        model = Customer
        fields = [
            "id",
            "name",
            "credit_code",
            "contact_person",
            "contact_position",
            "phone",
            "status",
            "grade",
            "key_account_class",
            "region",
            "industry",
            "address",
            "website",
            "source",
            "notes",
            "tags",
            "owner",
            "account_executive",
            "review_status",
            "review_reason",
            "last_contacted_at",
            "owned_since",
            "created_at",
        ]
        read_only_fields = [
            "owner",
            "account_executive",
            "review_status",
            "review_reason",
            "last_contacted_at",
            "owned_since",
            "created_at",
        ]
        validators: list = []  # C2 duplicates are answered by the service, with the owner's name

    def get_unique_together_validators(self):  # type: ignore[no-untyped-def]
        return []


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = Contact
        fields = ["id", "name", "position", "role", "phone", "email", "notes"]


class FollowUpSerializer(serializers.ModelSerializer):
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
            "created_at",
        ]
        read_only_fields = ["author", "created_at"]
        extra_kwargs = {"occurred_at": {"required": False}}


class OutingSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(write_only=True, max_length=200)

    class Meta:
        model = Outing
        fields = ["id", "customer", "customer_name", "planned_at", "purpose", "created_at"]
        read_only_fields = ["customer", "created_at"]
        extra_kwargs = {"planned_at": {"required": False}}


class ReviewSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["approved", "rejected"])
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
