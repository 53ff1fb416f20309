from allauth.account.views import SignupView
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import FormView

from accounts.forms import HoneypotSignupMixin

from .forms import VolunteerProfileForm, VolunteerSignupForm
from .models import SkillArea
from .services import profile_initial, update_volunteer


def skill_fields(form):
    return [form[f"skill_{area}"] for area in SkillArea.values]


@method_decorator(never_cache, name="dispatch")
class VolunteerSignupView(HoneypotSignupMixin, SignupView):
    """Account and volunteer profile in one form; allauth handles verification and enumeration."""

    form_class = VolunteerSignupForm
    template_name = "volunteers/signup.html"

    def form_valid(self, form):
        # The account and the profile are saved together or not at all.
        with transaction.atomic():
            return super().form_valid(form)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["skill_fields"] = skill_fields(context["form"])
        return context


@method_decorator(never_cache, name="dispatch")
class VolunteerProfileView(LoginRequiredMixin, FormView):
    form_class = VolunteerProfileForm
    template_name = "volunteers/profile.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.volunteer = getattr(request.user, "volunteer", None)
            if self.volunteer is None:
                raise Http404("No volunteer profile for this account.")
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return profile_initial(self.volunteer)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["skill_fields"] = skill_fields(context["form"])
        context["volunteer"] = self.volunteer
        return context

    def form_valid(self, form):
        update_volunteer(volunteer=self.volunteer, data=form.cleaned_data)
        if self.volunteer.is_paused:
            messages.success(
                self.request, "Your profile is saved. You are paused, so we won't suggest you for new work."
            )
        else:
            messages.success(self.request, "Your profile is saved.")
        return redirect("volunteer_profile")
