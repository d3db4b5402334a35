from django.urls import path

from agencies import views

app_name = "agencies"

urlpatterns = [
    path("", views.account_index, name="accounts"),
    path("<int:pk>/", views.agency_accounts, name="agency_accounts"),
    path("users/<int:pk>/<str:action>/", views.account_action, name="account_action"),
    path("contacts/", views.contacts, name="contacts"),
    path("collectives/<int:pk>/members/", views.collective_members, name="collective_members"),
]
