from django.urls import path

from crm.views import customers as views
from crm.views import pool as pool_views

app_name = "crm"
urlpatterns = [
    path("", views.my_day, name="my_day"),
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/new/", views.customer_create, name="customer_create"),
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/followups/new/", views.followup_create, name="followup_create"),
    path("customers/<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("customers/<int:pk>/review/", views.customer_review, name="customer_review"),
    path("outings/new/", views.outing_create, name="outing_create"),
    path("pool/", pool_views.pool_list, name="pool_list"),
    path("pool/<int:pk>/claim/", pool_views.pool_claim, name="pool_claim"),
    path("pool/<int:pk>/assign/", pool_views.pool_assign, name="pool_assign"),
    path("notifications/", pool_views.notification_list, name="notifications"),
]
