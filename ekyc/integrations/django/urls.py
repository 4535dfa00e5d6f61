"""The app's URLs, named after :data:`ekyc.integrations.PATHS`; include them under a prefix::

    urlpatterns = [path("kyc/", include("ekyc.integrations.django.urls")), ...]   # names: ekyc:start, …
"""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "ekyc"
urlpatterns = [
    path("start", views.start, name="start"),
    path("return/<str:provider>", views.return_view, name="return"),
    path("webhooks/<str:provider>", views.webhook, name="webhook"),
    path("status", views.status, name="status"),
]
