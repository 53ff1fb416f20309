from django import forms

from .models import Match


class OfferAnswerForm(forms.Form):
    answer = forms.ChoiceField(
        label="Can you help?",
        choices=[("accept", "Yes, introduce me"), ("decline", "No, not this time")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose yes or no."},
    )
    decline_reason = forms.ChoiceField(
        label="If not, why not? (optional)",
        choices=[("", "I'd rather not say"), *Match.DeclineReason.choices],
        required=False,
        help_text="Organisers use this to make better suggestions.",
    )


class CampaignFeedbackForm(forms.Form):
    action = forms.ChoiceField(
        label="What would you like to tell us?",
        choices=[("not_a_fit", "This volunteer is not a fit for us"), ("result", "The election result")],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what you would like to tell us."},
    )
    result = forms.ChoiceField(
        label="Result",
        choices=[("", "Choose"), *Match.Result.choices],
        required=False,
    )
    feedback = forms.CharField(
        label="Anything else? (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Feedback on the volunteer helps us improve. Up to 2,000 characters.",
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("action") == "result" and not cleaned.get("result"):
            self.add_error("result", "Choose won or lost.")
        return cleaned
