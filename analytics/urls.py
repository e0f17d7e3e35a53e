from django.urls import path

from analytics import views

urlpatterns = [
    path("escalations", views.escalations_page, name="analytics-escalations"),
    path("escalations.csv", views.escalations_csv, name="analytics-escalations-csv"),
    path("escalations/baseline", views.baseline_add, name="analytics-baseline-add"),
    path("escalations/baseline/<int:sample_id>/delete", views.baseline_delete, name="analytics-baseline-delete"),
    path("pilots", views.pilots_page, name="analytics-pilots"),
]
