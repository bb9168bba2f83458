"""URLs of the rankings' organizer (included by rankings.urls, namespace "rankings")."""

urlpatterns: list = []
