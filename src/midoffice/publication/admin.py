from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms import ModelForm

from midoffice.publication.models import WebhookSubscription


class WebhookSubscriptionForm(ModelForm):  # type: ignore[type-arg]  # django-stubs generic
    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "secret", "event_types", "active"]

    def clean_event_types(self) -> list[str]:
        value = self.cleaned_data.get("event_types") or []
        known = set(WebhookSubscription.EventType.values)
        if not isinstance(value, list) or not all(item in known for item in value):
            raise ValidationError(f"Gebruik een lijst met soorten uit: {', '.join(sorted(known))}.")
        return value


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin[WebhookSubscription]):
    form = WebhookSubscriptionForm
    list_display = ["name", "url", "active", "created_at"]
    list_filter = ["active"]
