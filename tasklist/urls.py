from django.urls import path, re_path

from tasklist import views

app_name = "tasklist"

urlpatterns = [
    path("", views.plan_list, name="plan_list"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    re_path(r"^plans/(?P<pk>[0-9]+)/export\.(?P<fmt>xlsx|docx)$", views.plan_export, name="plan_export"),
    path("agencies/", views.agency_list, name="agency_list"),
    path("agencies/<int:pk>/", views.agency_detail, name="agency_detail"),
]
