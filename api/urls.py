"""The page where a signed-in person makes, lists and revokes their API tokens."""

from django.urls import path

from . import views

app_name = "api"
urlpatterns = [
    path("tai-khoan/api/", views.token_list, name="token_list"),
    path("tai-khoan/api/<int:pk>/thu-hoi/", views.token_revoke, name="token_revoke"),
]
