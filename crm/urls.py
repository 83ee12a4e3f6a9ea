from django.urls import path

from crm.views import customers as views
from crm.views import my_day, outings, reviews

app_name = "crm"
urlpatterns = [
    path("", my_day.my_day, name="my_day"),
    path("customers/", views.customer_list, name="customer_list"),
    path("customers/new/", views.customer_create, name="customer_create"),
    path("customers/<int:pk>/", views.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", views.customer_edit, name="customer_edit"),
    path("customers/<int:pk>/assign/", views.customer_assign, name="customer_assign"),
    path("customers/<int:pk>/followups/new/", views.followup_create, name="followup_create"),
    path("customers/<int:pk>/contacts/new/", views.contact_create, name="contact_create"),
    path("customers/<int:pk>/review/", reviews.customer_review, name="customer_review"),
    path("reviews/", reviews.review_queue, name="review_queue"),
    path("outings/", outings.outing_list, name="outing_list"),
    path("outings/new/", outings.outing_create, name="outing_create"),
]
