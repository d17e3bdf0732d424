"""The agent's messaging screens: the inbox by BAY Number, a conversation,
sending, saved templates. Views check input with a form, call one service,
then render or redirect; reads go through `messaging.selectors`."""

import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views import View
from django.views.generic import TemplateView

from messaging import selectors, services, simulator
from messaging.forms import DevReplyForm, MessageTemplateForm, SendMessageForm
from messaging.merge_fields import MERGE_FIELDS, merge, merge_values
from messaging.models import Message
from messaging.segments import composer_config, count_segments
from messaging.services import MAX_BODY_LENGTH, SendRefused, sms_send
from optin import selectors as optin_selectors
from optin.gate import check_send
from optin.models import ConsentState
from optin.services import ConsentRefused, consent_request_optin

# A poll asks again for texts changed this long before its last answer, so a
# change committed just after a poll read the table is not missed.
POLL_OVERLAP = datetime.timedelta(seconds=30)
POLL_INTERVAL_MS = 4000


class NumberTabsMixin(LoginRequiredMixin):
    """The BAY Number tabs along the top of the Messaging tab."""

    def number_tabs(self, selected):
        agent = self.request.user
        unread = selectors.unread_counts(agent=agent, bay_numbers=self.bay_numbers)
        return [
            {
                "number": number,
                "unread": unread.get(number.pk, 0),
                "active": selected is not None and number.pk == selected.pk,
            }
            for number in self.bay_numbers
        ]

    def pick_bay_number(self, bay_number_id):
        """The agent's BAY Number with this id (404 if not theirs), or their first."""
        self.bay_numbers = list(selectors.agent_bay_numbers(self.request.user))
        if bay_number_id in (None, ""):
            return self.bay_numbers[0] if self.bay_numbers else None
        for number in self.bay_numbers:
            if str(number.pk) == str(bay_number_id):
                return number
        raise Http404("No such BAY Number.")


class InboxView(NumberTabsMixin, TemplateView):
    """The conversations of one BAY Number, newest first."""

    template_name = "messaging/inbox.html"

    def get_context_data(self, **kwargs):
        bay_number = self.pick_bay_number(kwargs.get("bay_number_id"))
        page, conversations = None, []
        if bay_number is not None:
            page, conversations = selectors.inbox_page(
                agent=self.request.user,
                bay_number=bay_number,
                page_number=self.request.GET.get("page", 1),
            )
        return super().get_context_data(
            bay_number=bay_number,
            tabs=self.number_tabs(bay_number),
            page=page,
            conversations=conversations,
            poll_interval=POLL_INTERVAL_MS,
            **kwargs,
        )


class ConversationListView(NumberTabsMixin, View):
    """One page of a BAY Number's conversations alone: the inbox polls it, so
    new texts, unread counts and badges show without a reload. Logged out,
    it answers 403 rather than the login page, which the poll would show."""

    raise_exception = True

    def get(self, request, bay_number_id):
        bay_number = self.pick_bay_number(bay_number_id)
        _page, conversations = selectors.inbox_page(
            agent=request.user, bay_number=bay_number, page_number=request.GET.get("page", 1)
        )
        context = {"bay_number": bay_number, "conversations": conversations}
        return render(request, "messaging/_conversation_list.html", context)


class BayNumberDetailView(NumberTabsMixin, TemplateView):
    """A BAY Number's own page: what it is and how its contacts stand."""

    template_name = "messaging/bay_number_detail.html"

    def get_context_data(self, **kwargs):
        bay_number = self.pick_bay_number(kwargs["bay_number_id"])
        stats = selectors.bay_number_stats(bay_number=bay_number)
        # Phones never asked mostly have no consent row, so they are not counted.
        shown = (ConsentState.PENDING, ConsentState.OPTED_IN, ConsentState.OPTED_OUT)
        consent_rows = [(selectors.BADGES[state], stats.consents[state]) for state in shown]
        return super().get_context_data(
            bay_number=bay_number,
            tabs=self.number_tabs(bay_number),
            stats=stats,
            consent_rows=consent_rows,
            **kwargs,
        )


class ConversationMixin(NumberTabsMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.contact = selectors.agent_contact(request.user, kwargs["contact_id"])
        source = request.POST if request.method == "POST" else request.GET
        self.bay_number = self.pick_bay_number(source.get("bay_number"))
        return super().dispatch(request, *args, **kwargs)

    def conversation_url(self) -> str:
        url = reverse("messaging:conversation", args=[self.contact.pk])
        return f"{url}?bay_number={self.bay_number.pk}" if self.bay_number else url

    def gate_context(self, form=None) -> dict:
        """What the gate says, and the composer or the refusal that follows."""
        if self.bay_number is None:
            return {"decision": None}
        decision = check_send(bay_number=self.bay_number, phone=self.contact.phone)
        badge = selectors.consent_badge(
            bay_number=self.bay_number, phone=self.contact.phone, decision=decision
        )
        body = form["body"].value() if form is not None else self.template_body()
        return {
            "contact": self.contact,
            "bay_number": self.bay_number,
            "decision": decision,
            "gate_key": f"{decision.state}:{decision.allowed}:{decision.can_request_optin}",
            "badge": badge,
            "form": form or SendMessageForm(agent=self.request.user),
            "body": body or "",
            "count": count_segments(body or ""),
            "max_length": MAX_BODY_LENGTH,
            "templates": self.templates_for_contact() if decision.allowed else [],
        }

    def templates_for_contact(self) -> list[dict]:
        values = merge_values(contact=self.contact, agent=self.request.user)
        return [
            {"template": template, "text": merge(template.body, values)}
            for template in selectors.agent_templates(self.request.user)
        ]

    def template_body(self) -> str:
        """The merged text of `?template=`, so inserting works without script."""
        template_id = self.request.GET.get("template", "")
        if not template_id.isdecimal():
            return ""
        template = selectors.agent_template(self.request.user, int(template_id))
        return merge(template.body, merge_values(contact=self.contact, agent=self.request.user))


class ConversationView(ConversationMixin, TemplateView):
    """The thread with one contact, and the composer or the gate's refusal."""

    template_name = "messaging/conversation.html"

    def get(self, request, *args, **kwargs):
        if self.bay_number is not None:
            services.conversation_mark_read(
                agent=request.user, bay_number=self.bay_number, contact=self.contact
            )
        return super().get(request, *args, **kwargs)

    def get_context_data(self, form=None, **kwargs):
        context = {"contact": self.contact, "bay_number": None, "thread": []}
        if self.bay_number is not None:
            before = self.request.GET.get("before", "")
            thread, has_earlier = selectors.thread(
                bay_number=self.bay_number,
                contact=self.contact,
                before=int(before) if before.isdecimal() else None,
            )
            _page, conversations = selectors.inbox_page(
                agent=self.request.user, bay_number=self.bay_number
            )
            open_reviews = optin_selectors.open_reviews(self.request.user).filter(
                bay_number=self.bay_number, phone=self.contact.phone
            )
            context.update(
                thread=thread,
                open_reviews=open_reviews,
                has_earlier=has_earlier,
                conversations=conversations,
                poll_url=reverse("messaging:conversation_updates", args=[self.contact.pk]),
                poll_cursor=(timezone.now() - POLL_OVERLAP).isoformat(),
                poll_interval=POLL_INTERVAL_MS,
                composer_config=composer_config(),
                merge_fields=MERGE_FIELDS,
            )
        context.update(self.gate_context(form))
        return super().get_context_data(tabs=self.number_tabs(self.bay_number), **context, **kwargs)


def _parse_since(value: str) -> datetime.datetime:
    """The poll's `since` in UTC, or the last moments when it is missing, not
    a time, or a time no database can hold (year 1 at +14:00)."""
    try:
        since = parse_datetime(value)
        if since is not None:
            if timezone.is_naive(since):
                since = timezone.make_aware(since, datetime.UTC)
            since = since.astimezone(datetime.UTC)
    except (ValueError, OverflowError):
        since = None
    return since or timezone.now() - POLL_OVERLAP


class ConversationUpdatesView(ConversationMixin, View):
    """What changed in a conversation since `since`, for the page's poll:
    new and changed texts, the badge, and the composer or refusal."""

    def get(self, request, contact_id):
        if self.bay_number is None:
            raise Http404("No BAY Number.")
        since = _parse_since(request.GET.get("since", ""))
        cursor = timezone.now() - POLL_OVERLAP
        if not request.GET.get("hidden"):
            services.conversation_mark_read(
                agent=request.user, bay_number=self.bay_number, contact=self.contact
            )
        changes = selectors.thread_changes(
            bay_number=self.bay_number, contact=self.contact, since=since
        )
        gate = self.gate_context()
        return JsonResponse(
            {
                "cursor": cursor.isoformat(),
                "messages": [self._message(request, message) for message in changes],
                "badge": {
                    "key": gate["badge"].key,
                    "html": render_to_string("messaging/_badge.html", gate, request),
                },
                "gate": {
                    "key": gate["gate_key"],
                    "html": render_to_string("messaging/_gate.html", gate, request),
                },
            }
        )

    def _message(self, request, message: Message) -> dict:
        context = {"message": message, "contact": self.contact}
        return {
            "id": message.pk,
            "version": message.updated_at.isoformat(),
            "html": render_to_string("messaging/_message.html", context, request),
        }


def _waits_for_texting_hours(message: Message) -> str:
    """Why a text just queued has not gone, and when it goes."""
    return (
        "it is outside texting hours where the contact lives (8 am to 9 pm, or less in some "
        f"states), so it goes out {message.not_before_local:%a %-I:%M %p} their time."
    )


class SendMessageView(ConversationMixin, View):
    def post(self, request, contact_id):
        form = SendMessageForm(request.POST, agent=request.user)
        if not form.is_valid():
            view = ConversationView(request=request, kwargs=self.kwargs)
            view.contact, view.bay_number = self.contact, self.bay_number
            view.bay_numbers = self.bay_numbers
            return view.render_to_response(view.get_context_data(form=form), status=400)

        try:
            message = sms_send(
                agent=request.user,
                bay_number=form.cleaned_data["bay_number"],
                contact=self.contact,
                body=form.cleaned_data["body"],
            )
        except SendRefused as refusal:
            messages.error(request, f"Not sent. {refusal.decision.reason}")
        else:
            if message.not_before is not None:
                messages.info(request, f"Queued: {_waits_for_texting_hours(message)}")
        return redirect(self.conversation_url())


class SendOptinRequestView(ConversationMixin, View):
    def post(self, request, contact_id):
        if self.bay_number is None:
            raise PermissionDenied("You have no BAY Number to text from.")
        try:
            message = consent_request_optin(
                bay_number=self.bay_number, contact=self.contact, actor=request.user
            )
        except ConsentRefused as refusal:
            messages.error(request, f"Opt-in request not sent. {refusal}")
        else:
            if message.not_before is not None:
                messages.info(
                    request,
                    f"Opt-in request to {self.contact.full_name} queued: "
                    f"{_waits_for_texting_hours(message)}",
                )
            else:
                messages.success(request, f"Opt-in request sent to {self.contact.full_name}.")
        return redirect(self.conversation_url())


class HeldTextDecideView(LoginRequiredMixin, View):
    """Send again, or not, a text that may or may not have gone out. Only a
    person decides: the worker never resends such a text by itself."""

    def post(self, request, message_id):
        message = selectors.decidable_text(request.user, message_id)
        decision = request.POST.get("decision")
        try:
            if decision == "resend":
                services.sms_review_resend(message=message, actor=request.user)
                messages.success(request, "Queued again. Consent and texting hours still apply.")
            elif decision == "close":
                services.sms_review_close(message=message, actor=request.user)
                messages.success(request, "Marked as not to be sent again.")
            else:
                messages.error(request, "Choose whether to send the text again.")
        except ValidationError as refused:
            messages.error(request, " ".join(refused.messages))
        return redirect(reverse("optin:reviews") + "#held-texts")


# --- Saved templates -------------------------------------------------------------


class TemplateListView(LoginRequiredMixin, View):
    """The agent's saved templates, and the form to add one."""

    template_name = "messaging/templates.html"

    def get(self, request, form=None, status=200):
        context = {
            "templates": selectors.agent_templates(request.user),
            "form": form or MessageTemplateForm(),
            "merge_fields": MERGE_FIELDS,
        }
        return render(request, self.template_name, context, status=status)

    def post(self, request):
        form = MessageTemplateForm(request.POST)
        if form.is_valid():
            try:
                template = services.template_create(agent=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Saved {template.name!r}.")
                return redirect("messaging:templates")
        return self.get(request, form=form, status=400)


class TemplateUpdateView(LoginRequiredMixin, View):
    template_name = "messaging/template_form.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.template = selectors.agent_template(request.user, kwargs["template_id"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, template_id, form=None, status=200):
        form = form or MessageTemplateForm(
            initial={"name": self.template.name, "body": self.template.body}
        )
        context = {"template": self.template, "form": form, "merge_fields": MERGE_FIELDS}
        return render(request, self.template_name, context, status=status)

    def post(self, request, template_id):
        form = MessageTemplateForm(request.POST)
        if form.is_valid():
            try:
                services.template_update(
                    agent=request.user, template=self.template, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, f"Saved {self.template.name!r}.")
                return redirect("messaging:templates")
        return self.get(request, template_id, form=form, status=400)


class TemplateDeleteView(TemplateUpdateView):
    template_name = "messaging/template_confirm_delete.html"

    def get(self, request, template_id, form=None, status=200):
        return render(request, self.template_name, {"template": self.template})

    def post(self, request, template_id):
        services.template_delete(agent=request.user, template=self.template)
        messages.success(request, f"Deleted {self.template.name!r}.")
        return redirect("messaging:templates")


# --- Development only ----------------------------------------------------------


class DevPhoneView(LoginRequiredMixin, TemplateView):
    """Development only: what was texted to a phone, and replying as it
    through the same signed-webhook path Twilio uses."""

    template_name = "messaging/dev_phone.html"

    def dispatch(self, request, *args, **kwargs):
        if not settings.DEV_PHONE_ENABLED:
            raise Http404("The development phone is off outside development.")
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        agent = self.request.user
        contact_id = self.request.GET.get("contact", "")
        contact = agent.contacts.filter(pk=contact_id if contact_id.isdecimal() else None).first()
        received = Message.objects.none()
        if contact is not None:
            received = Message.objects.filter(
                bay_number__in=selectors.agent_bay_numbers(agent),
                to_phone=contact.phone,
                direction=Message.Direction.OUTBOUND,
            ).order_by("-created_at")[:50]
        form = kwargs.pop("form", None) or DevReplyForm(agent=agent, initial={"contact": contact})
        return super().get_context_data(
            contact=contact, received=received, contacts=agent.contacts.all(), form=form, **kwargs
        )

    def post(self, request):
        form = DevReplyForm(request.POST, agent=request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)

        contact = form.cleaned_data["contact"]
        params = simulator.inbound_params(
            from_phone=contact.phone,
            to_phone=form.cleaned_data["bay_number"].phone_number,
            body=form.cleaned_data["body"],
        )
        status = simulator.post_in_process(params=params, host=request.get_host())
        messages.info(request, f"Replied as {contact.full_name}: the webhook answered {status}.")
        return redirect(f"{reverse('messaging:dev_phone')}?contact={contact.pk}")
