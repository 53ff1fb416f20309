from allauth.account.views import SignupView
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core import signing
from django.db import transaction
from django.forms.utils import ErrorDict
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView

from accounts.forms import HoneypotSignupMixin
from matching import callouts
from techforlabour import reports
from volunteers.models import SkillArea

from .ballots import search_ballots
from .elections import suggested_needed_by
from .forms import (
    MAX_REQUESTS_PER_VISIT,
    CandidateSignupForm,
    HelpRequestForm,
    HelpRequestFormSet,
    needed_by_suggestions,
)
from .invitations import InvitationError, InvitationUsed, read_invitation
from .models import Election, HelpRequest
from .services import add_help_request

FORMSET_PREFIX = "requests"


@method_decorator(never_cache, name="dispatch")
class CandidateSignupView(HoneypotSignupMixin, SignupView):
    """Account, campaign and one or more help requests in one visit."""

    form_class = CandidateSignupForm
    template_name = "candidates/signup.html"

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        self.configure_ballot_fields(form)
        return form

    def configure_ballot_fields(self, form) -> None:
        """Offer the ballots matching the search, plus the one already chosen, as the form's choices."""
        self.ballot_query = ""
        self.ballot_results = []
        self.chosen_election = None
        if "election" not in form.fields:
            return

        data = self.request.POST if self.request.method == "POST" else self.request.GET
        self.ballot_query = (data.get("ballot_query") or data.get("q") or "").strip()[:100]
        if self.ballot_query:
            self.ballot_results = list(search_ballots(self.ballot_query))
        if not form.is_bound:
            form.fields["ballot_query"].initial = self.ballot_query

        choices = list(self.ballot_results)
        chosen_id = data.get("election", "")
        if chosen_id.isdigit():
            self.chosen_election = form.fields["election"].queryset.filter(pk=int(chosen_id)).first()
            if self.chosen_election is not None and self.chosen_election not in choices:
                choices.insert(0, self.chosen_election)
        elif len(self.ballot_results) == 1 and not form.is_bound:
            form.fields["election"].initial = self.ballot_results[0].pk
            self.chosen_election = self.ballot_results[0]
        form.set_ballot_choices(choices)

    def get_formset(self, polling_day=None, timetable=None):
        timetable = timetable or self.chosen_timetable()
        if self.request.method == "POST":
            return HelpRequestFormSet(
                self.request.POST,
                prefix=FORMSET_PREFIX,
                polling_day=polling_day,
                timetable=timetable,
                queryset=HelpRequest.objects.none(),
            )
        return HelpRequestFormSet(prefix=FORMSET_PREFIX, timetable=timetable, queryset=HelpRequest.objects.none())

    def chosen_timetable(self):
        election = getattr(self, "chosen_election", None)
        return election.timetable if election is not None else None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("formset", self.get_formset())
        context["formsets"] = [context["formset"]]
        context["max_requests"] = MAX_REQUESTS_PER_VISIT
        context["ballot_query"] = getattr(self, "ballot_query", "")
        context["ballot_results"] = getattr(self, "ballot_results", [])
        context["chosen_election"] = getattr(self, "chosen_election", None)
        timetable = self.chosen_timetable()
        context["key_dates"] = timetable.key_dates() if timetable else []
        context["form_action"] = self.request.path
        return context

    def post(self, request, *args, **kwargs):
        form = self.get_form()

        if "add_request" in request.POST:
            return self._render_unvalidated(form, add_request=True)
        if "find_ballot" in request.POST or self._is_search_by_enter(form):
            return self._render_unvalidated(form)

        form_is_valid = form.is_valid()
        polling_day = timetable = None
        if form_is_valid:
            polling_day = form.cleaned_data.get("polling_day")
            election = form.cleaned_data.get("election")
            timetable = election.timetable if election is not None else None
        formset = self.get_formset(polling_day=polling_day, timetable=timetable)
        form.help_request_formset = formset
        formset_is_valid = formset.is_valid()

        if form_is_valid and formset_is_valid:
            try:
                # The account, the campaign and its requests are saved together or not at all.
                with transaction.atomic():
                    return self.form_valid(form)
            except InvitationUsed as error:
                return link_problem(request, error.title, str(error), status=409)
        return self.render_to_response(self.get_context_data(form=form, formset=formset))

    def _is_search_by_enter(self, form) -> bool:
        """Return True for a submit by Enter in the search box, which sends the whole form with nothing else set."""
        data = self.request.POST
        return "election" in form.fields and bool(
            data.get("ballot_query", "").strip()
            and not data.get("election")
            and not data.get("ward", "").strip()
            and not data.get("polling_day", "").strip()
        )

    def _render_unvalidated(self, form, *, add_request: bool = False):
        """Show the same answers (with one more empty help request if asked), without marking anything as an error."""
        data = self.request.POST.copy()
        total_key = f"{FORMSET_PREFIX}-TOTAL_FORMS"
        if add_request:
            try:
                total = int(data.get(total_key, 1))
            except ValueError:
                total = 1
            data[total_key] = str(min(total + 1, MAX_REQUESTS_PER_VISIT))

        formset = HelpRequestFormSet(
            data, prefix=FORMSET_PREFIX, timetable=self.chosen_timetable(), queryset=HelpRequest.objects.none()
        )
        # Skip validation: the person is still filling the form in.
        form._errors = ErrorDict()
        for request_form in formset.forms:
            request_form._errors = ErrorDict()
        formset._non_form_errors = form.error_class()
        formset._errors = [ErrorDict() for _ in formset.forms]
        return self.render_to_response(self.get_context_data(form=form, formset=formset))


@method_decorator(never_cache, name="dispatch")
class InvitedCandidateSignupView(CandidateSignupView):
    """The signup of an imported candidate, from the link in their invitation: the ballot is already known."""

    def dispatch(self, request, token, *args, **kwargs):
        try:
            self.imported_candidate = read_invitation(token)
        except InvitationError as error:
            return link_problem(request, error.title, str(error), status=400)
        if self.imported_candidate.election.polling_day < timezone.localdate():
            return link_problem(
                request,
                "Polling day has passed",
                "This invitation was for an election that is over, so there is nothing to ask for now.",
                status=410,
            )
        return super().dispatch(request, *args, **kwargs)

    def configure_ballot_fields(self, form) -> None:
        form.use_imported_candidate(self.imported_candidate)
        super().configure_ballot_fields(form)
        self.chosen_election = self.imported_candidate.election

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["imported_candidate"] = self.imported_candidate
        return context


def link_problem(request, title: str, message: str, status: int):
    return render(request, "matching/link_problem.html", {"title": title, "message": message}, status=status)


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
        context["help_requests"] = self.candidate.help_requests.with_urgency().order_by("needed_by", "id")
        timetable = self.candidate.election.timetable
        context["key_dates"] = timetable.key_dates() if timetable else []
        context["today"] = timezone.localdate()
        return context


@method_decorator(never_cache, name="dispatch")
class AddHelpRequestView(CandidateRequiredMixin, FormView):
    """One more help request; `?skill_area=` picks the kind of help and suggests its needed-by date."""

    form_class = HelpRequestForm
    template_name = "candidates/add_request.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["polling_day"] = self.candidate.election.polling_day
        kwargs["timetable"] = self.candidate.election.timetable
        return kwargs

    def get_initial(self):
        initial = super().get_initial()
        skill_area = self.request.GET.get("skill_area", "")
        timetable = self.candidate.election.timetable
        if skill_area in SkillArea.values:
            initial["skill_area"] = skill_area
            if timetable is not None and timetable.polling_day >= timezone.localdate():
                initial["needed_by"] = suggested_needed_by(timetable, skill_area, today=timezone.localdate()).day
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        timetable = self.candidate.election.timetable
        context["election"] = self.candidate.election
        context["suggestions"] = needed_by_suggestions(timetable) if timetable else []
        context["polling_day_passed"] = self.candidate.election.polling_day < timezone.localdate()
        return context

    def form_valid(self, form):
        with transaction.atomic():
            add_help_request(candidate=self.candidate, data=form.cleaned_data)
        messages.success(self.request, "Your request is saved. An organiser will introduce you to a volunteer.")
        return redirect("my_requests")


@method_decorator(never_cache, name="dispatch")
class CallOutAnswerView(LoginRequiredMixin, View):
    """The page behind a call-out email. GET shows the request and changes nothing; POST records a yes."""

    template_name = "candidates/callout_answer.html"

    def dispatch(self, request, token, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        try:
            self.recipient = callouts.load_for_volunteer(callouts.read_token(token), request.user)
        except callouts.CallOutError as error:
            return link_problem(request, "This call-out link does not work", str(error), status=400)
        return super().dispatch(request, token, *args, **kwargs)

    def get(self, request, token):
        help_request = self.recipient.callout.help_request
        context = {
            "recipient": self.recipient,
            "help_request": help_request,
            "election": help_request.candidate.election,
            "callout": self.recipient.callout,
            "travel_radius_needed": callouts.travel_radius_needed(self.recipient),
            "still_open": help_request.status == HelpRequest.Status.OPEN,
        }
        return render(request, self.template_name, context)

    def post(self, request, token):
        try:
            outcome = callouts.answer_callout(recipient=self.recipient)
        except callouts.CallOutError as error:
            return link_problem(request, "Thank you for answering", str(error), status=409)
        if outcome.suggested:
            message = (
                "We have put you forward for this request. An organiser will check the details, "
                "and if they choose you we will email you the offer."
            )
        else:
            message = (
                "We have told the organisers you can help. Your profile does not fit this request yet, "
                "for example your dates or the hours you offer, so check your profile too."
            )
        return link_problem(request, "Thank you for answering", message, status=200)


class ReportYearMixin:
    def report_context(self, year: int | None) -> dict:
        report = reports.build_report(year=year)
        years = [day.year for day in Election.objects.dates("polling_day", "year")]
        return {"report": report, "year": year, "years": years}


@method_decorator(never_cache, name="dispatch")
class NetworkReportView(LoginRequiredMixin, PermissionRequiredMixin, ReportYearMixin, TemplateView):
    """The network's results for organisers, with a link to share a read-only copy. `?year=` picks a polling year."""

    permission_required = "candidates.view_election"
    template_name = "candidates/report.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        year_text = self.request.GET.get("year", "")
        year = int(year_text) if year_text.isdigit() and len(year_text) == 4 else None
        context.update(self.report_context(year))
        context["share_url"] = self.request.build_absolute_uri(
            reverse("shared_report", args=[reports.make_share_token(year=year)])
        )
        context["share_link_days"] = reports.SHARE_LINK_DAYS
        return context


@method_decorator(never_cache, name="dispatch")
class SharedReportView(ReportYearMixin, TemplateView):
    """The same report, read-only, for anyone with a link an organiser shared. It contains counts only."""

    template_name = "candidates/report.html"

    def get(self, request, token):
        try:
            year = reports.read_share_token(token)
        except signing.BadSignature:
            return link_problem(
                request,
                "This report link does not work",
                f"Shared report links work for {reports.SHARE_LINK_DAYS} days. Ask an organiser for a new one.",
                status=400,
            )
        context = self.get_context_data(**self.report_context(year))
        context["shared"] = True
        return self.render_to_response(context)
