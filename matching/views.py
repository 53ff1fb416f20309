"""Pages behind the signed links in emails: the reply to an offer, and a campaign's feedback."""

from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from . import services
from .forms import CampaignFeedbackForm, OfferAnswerForm
from .lifecycle import MatchingError
from .links import Action, LinkError, check_person, read_token
from .models import Match

LINK_STATUS_MESSAGES = {
    Match.Status.ACCEPTED: ("You have already said yes", "We have introduced you to the campaign by email."),
    Match.Status.COMPLETED: ("This work is complete", "Thank you for your help."),
    Match.Status.DECLINED: ("You have already said no", "Thank you for letting us know. We will offer you other work."),
    Match.Status.LAPSED: (
        "This offer has lapsed",
        "We did not hear from you in time, so we offered the work to another volunteer. "
        "You remain on our list for other work.",
    ),
    Match.Status.WITHDRAWN: ("You withdrew from this work", "Nothing more is needed."),
    Match.Status.CANCELLED: ("This work was cancelled", "The campaign no longer needs this help from you."),
}


def _actor(request):
    return request.user if request.user.is_authenticated else None


class SignedLinkView(View):
    action = ""
    template_name = ""

    @method_decorator(never_cache)
    def dispatch(self, request, token, *args, **kwargs):
        try:
            payload = read_token(token, action=self.action)
            check_person(payload, request.user)
        except LinkError as error:
            return self.link_problem(request, error.title, str(error), status=400)

        self.match = (
            Match.objects.select_related("help_request__candidate__election", "volunteer")
            .filter(pk=payload.match_id)
            .first()
        )
        if self.match is None:
            return self.link_problem(request, "This link does not work", "The work it was about no longer exists.", 404)
        return super().dispatch(request, token, *args, **kwargs)

    def link_problem(self, request, title, message, status):
        return render(request, "matching/link_problem.html", {"title": title, "message": message}, status=status)

    def render_form(self, request, form, status=200):
        context = {"form": form, "match": self.match, "help_request": self.match.help_request}
        context["election"] = self.match.help_request.candidate.election
        return render(request, self.template_name, context, status=status)


class RespondToOfferView(SignedLinkView):
    """Show the offer on GET and record the reply on POST. A GET changes nothing, because mail scanners open links."""

    action = Action.RESPOND_TO_OFFER
    template_name = "matching/respond_to_offer.html"

    def get(self, request, token):
        if self.match.status != Match.Status.APPROVED:
            return self.already_answered(request)
        initial = {"answer": request.GET.get("answer")} if request.GET.get("answer") in {"accept", "decline"} else {}
        return self.render_form(request, OfferAnswerForm(initial=initial))

    def post(self, request, token):
        form = OfferAnswerForm(request.POST)
        if not form.is_valid():
            return self.render_form(request, form, status=400)
        try:
            if form.cleaned_data["answer"] == "accept":
                services.accept_offer(match_id=self.match.pk, actor=_actor(request))
                return render(request, "matching/offer_accepted.html", {"match": self.match})
            services.decline_offer(
                match_id=self.match.pk, reason=form.cleaned_data["decline_reason"], actor=_actor(request)
            )
            return render(request, "matching/offer_declined.html", {"match": self.match})
        except MatchingError:
            self.match.refresh_from_db()
            return self.already_answered(request, status=409)

    def already_answered(self, request, status=200):
        title, message = LINK_STATUS_MESSAGES.get(
            self.match.status, ("This offer is no longer open", "Nothing more is needed.")
        )
        return self.link_problem(request, title, message, status)


class CampaignFeedbackView(SignedLinkView):
    action = Action.CAMPAIGN_FEEDBACK
    template_name = "matching/campaign_feedback.html"

    def get(self, request, token):
        return self.render_form(request, CampaignFeedbackForm(initial={"action": request.GET.get("action")}))

    def post(self, request, token):
        form = CampaignFeedbackForm(request.POST)
        if not form.is_valid():
            return self.render_form(request, form, status=400)
        data = form.cleaned_data
        try:
            if data["action"] == "not_a_fit":
                services.mark_not_a_fit(match_id=self.match.pk, note=data["feedback"], actor=_actor(request))
                title, message = (
                    "Thank you for telling us",
                    "We will look for another volunteer for this work and be in touch.",
                )
            else:
                services.record_result(
                    match_id=self.match.pk, result=data["result"], feedback=data["feedback"], actor=_actor(request)
                )
                title, message = ("Thank you", "We have recorded the result.")
        except MatchingError as error:
            return self.link_problem(request, "We could not record that", str(error), 409)
        return self.link_problem(request, title, message, 200)
