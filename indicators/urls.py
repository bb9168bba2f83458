from django.urls import path

from . import views

app_name = "indicators"
urlpatterns = [
    path("phuong-phap/", views.methodology_index, name="methodology_index"),
    path("phuong-phap/<int:set_id>/", views.methodology, name="methodology"),
]
