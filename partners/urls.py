from django.urls import path

from partners import views

app_name = "partners"
urlpatterns = [
    path("", views.partner_list, name="partner_list"),
    path("new/", views.partner_create, name="partner_create"),
    path("portal/", views.portal, name="portal"),
    path("referrals/new/", views.referral_create, name="referral_create"),
    path("collisions/", views.collision_list, name="collision_list"),
    path("collisions/report/", views.collision_report, name="collision_report"),
    path("collisions/<int:pk>/", views.collision_detail, name="collision_detail"),
    path("collisions/<int:pk>/act/", views.collision_act, name="collision_act"),
    path("orders/<int:pk>/credit/", views.order_credit, name="order_credit"),
    path("customers/<int:pk>/executive/", views.executive_attach, name="executive_attach"),
]
