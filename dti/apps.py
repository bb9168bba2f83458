from django.apps import AppConfig


class DtiConfig(AppConfig):
    # The project package is an app too, for the base templates and shared pages.
    name = "dti"
    verbose_name = "DTI"
