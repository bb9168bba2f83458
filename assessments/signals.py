"""Signals for the apps that come later (they must not be imported from here)."""

from django.dispatch import Signal

# Sent with ``campaign`` after new units' assessments were created for it (the
# campaign's units changed). The councils app grants its members access to them.
assessments_added = Signal()
