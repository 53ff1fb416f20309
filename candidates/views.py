from allauth.account.views import SignupView
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db import transaction
from django.forms.utils import ErrorDict
from django.http import Http404
from django.shortcuts import redirect
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView

from accounts.forms import HoneypotSignupMixin

from .forms import MAX_REQUESTS_PER_VISIT, CandidateSignupForm, HelpRequestForm, HelpRequestFormSet
from .models import HelpRequest
from .services import add_help_request

FORMSET_PREFIX = "requests"


@method_decorator(never_cache, name="dispatch")
class CandidateSignupView(HoneypotSignupMixin, SignupView):
    """Account, campaign and one or more help requests in one visit."""

    form_class = CandidateSignupForm
    template_name = "candidates/signup.html"

    def get_formset(self, polling_day=None):
        if self.request.method == "POST":
            return HelpRequestFormSet(
                self.request.POST, prefix=FORMSET_PREFIX, polling_day=polling_day, queryset=HelpRequest.objects.none()
            )
        return HelpRequestFormSet(prefix=FORMSET_PREFIX, queryset=HelpRequest.objects.none())

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("formset", self.get_formset())
        context["formsets"] = [context["formset"]]
        context["max_requests"] = MAX_REQUESTS_PER_VISIT
        return context

    def post(self, request, *args, **kwargs):
        form = self.get_form()

        if "add_request" in request.POST:
            return self._render_with_another_request(form)

        form_is_valid = form.is_valid()
        formset = self.get_formset(polling_day=form.cleaned_data.get("polling_day") if form_is_valid else None)
        form.help_request_formset = formset
        formset_is_valid = formset.is_valid()

        if form_is_valid and formset_is_valid:
            # The account, the campaign and its requests are saved together or not at all.
            with transaction.atomic():
                return self.form_valid(form)
        return self.render_to_response(self.get_context_data(form=form, formset=formset))

    def _render_with_another_request(self, form):
        """Show the same answers with one more empty help request, without marking anything as an error."""
        data = self.request.POST.copy()
        total_key = f"{FORMSET_PREFIX}-TOTAL_FORMS"
        try:
            total = int(data.get(total_key, 1))
        except ValueError:
            total = 1
        data[total_key] = str(min(total + 1, MAX_REQUESTS_PER_VISIT))

        formset = HelpRequestFormSet(data, prefix=FORMSET_PREFIX, queryset=HelpRequest.objects.none())
        # Skip validation: the person is still filling the form in.
        form._errors = ErrorDict()
        for request_form in formset.forms:
            request_form._errors = ErrorDict()
        formset._non_form_errors = form.error_class()
        formset._errors = [ErrorDict() for _ in formset.forms]
        return self.render_to_response(self.get_context_data(form=form, formset=formset))


class CandidateRequiredMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.candidate = getattr(request.user, "candidate", None)
            if self.candidate is None:
                raise Http404("No campaign for this account.")
        return super().dispatch(request, *args, **kwargs)


@method_decorator(never_cache, name="dispatch")
class MyRequestsView(CandidateRequiredMixin, TemplateView):
    template_name = "candidates/my_requests.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["candidate"] = self.candidate
        context["help_requests"] = self.candidate.help_requests.order_by("needed_by", "id")
        return context


@method_decorator(never_cache, name="dispatch")
class AddHelpRequestView(CandidateRequiredMixin, FormView):
    form_class = HelpRequestForm
    template_name = "candidates/add_request.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["polling_day"] = self.candidate.election.polling_day
        return kwargs

    def form_valid(self, form):
        with transaction.atomic():
            add_help_request(candidate=self.candidate, data=form.cleaned_data)
        messages.success(self.request, "Your request is saved. An organiser will introduce you to a volunteer.")
        return redirect("my_requests")
