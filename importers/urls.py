from django.urls import path

from importers import account_views, views

app_name = "importers"

urlpatterns = [
    path("", views.upload, name="upload"),
    path("accounts/", account_views.upload_accounts, name="accounts"),
    path("<uuid:pk>/", views.preview, name="preview"),
    path("<uuid:pk>/status/", views.status, name="status"),
    path("<uuid:pk>/sheet/", views.choose_sheet, name="choose_sheet"),
    path("<uuid:pk>/confirm/", views.confirm, name="confirm"),
    path("<uuid:pk>/cancel/", views.cancel, name="cancel"),
]
