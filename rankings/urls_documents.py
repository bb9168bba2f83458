"""URLs of the rankings' documents (included by rankings.urls, namespace "rankings")."""

urlpatterns: list = []
