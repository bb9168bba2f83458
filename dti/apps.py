from django.apps import AppConfig


class DtiConfig(AppConfig):
    # The project package is an app too, for the base templates and shared pages.
    name = "dti"
    verbose_name = "DTI"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from .middleware import mark_signed_in

        # The session limits (dti.middleware.SessionTimeoutMiddleware) start at sign-in.
        user_logged_in.connect(mark_signed_in, dispatch_uid="dti-session-signed-in")
