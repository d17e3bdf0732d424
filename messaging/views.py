"""The agent's messaging screens: the inbox, a conversation, sending."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Max
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from messaging import selectors, simulator
from messaging.forms import BayNumberChoiceForm, DevReplyForm, SendMessageForm
from messaging.models import Message
from messaging.services import SendRefused, sms_send
from optin.gate import check_send
from optin.services import ConsentRefused, consent_request_optin


class InboxView(LoginRequiredMixin, TemplateView):
    template_name = "messaging/inbox.html"

    def get_context_data(self, **kwargs):
        agent = self.request.user
        contacts = agent.contacts.annotate(last_message_at=Max("messages__created_at")).order_by(
            "-last_message_at", "first_name"
        )
        return super().get_context_data(
            contacts=contacts, bay_numbers=selectors.agent_bay_numbers(agent), **kwargs
        )


class ConversationMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.contact = selectors.agent_contact(request.user, kwargs["contact_id"])
        self.bay_numbers = list(selectors.agent_bay_numbers(request.user))
        return super().dispatch(request, *args, **kwargs)

    def selected_bay_number(self, data):
        form = BayNumberChoiceForm(data, agent=self.request.user)
        if form.is_valid():
            return form.cleaned_data["bay_number"]
        return self.bay_numbers[0] if self.bay_numbers else None

    def conversation_url(self, bay_number) -> str:
        url = reverse("messaging:conversation", args=[self.contact.pk])
        return f"{url}?bay_number={bay_number.pk}" if bay_number else url


class ConversationView(ConversationMixin, TemplateView):
    template_name = "messaging/conversation.html"

    def get_context_data(self, **kwargs):
        bay_number = self.selected_bay_number(self.request.GET)
        thread, decision = [], None
        if bay_number is not None:
            thread = selectors.conversation(bay_number=bay_number, phone=self.contact.phone)
            decision = check_send(bay_number=bay_number, phone=self.contact.phone)
        form = kwargs.pop("form", None) or SendMessageForm(
            agent=self.request.user, initial={"bay_number": bay_number}
        )
        return super().get_context_data(
            contact=self.contact,
            bay_number=bay_number,
            bay_numbers=self.bay_numbers,
            thread=thread,
            decision=decision,
            form=form,
            **kwargs,
        )


class SendMessageView(ConversationMixin, View):
    def post(self, request, contact_id):
        form = SendMessageForm(request.POST, agent=request.user)
        if not form.is_valid():
            view = ConversationView(request=request, kwargs=self.kwargs)
            view.contact, view.bay_numbers = self.contact, self.bay_numbers
            return view.render_to_response(view.get_context_data(form=form), status=400)

        bay_number = form.cleaned_data["bay_number"]
        try:
            sms_send(
                agent=request.user,
                bay_number=bay_number,
                contact=self.contact,
                body=form.cleaned_data["body"],
            )
        except SendRefused as refusal:
            messages.error(request, f"Not sent. {refusal.decision.reason}")
        except (ValidationError, PermissionDenied) as error:
            messages.error(
                request, f"Not sent. {' '.join(getattr(error, 'messages', [str(error)]))}"
            )
        else:
            messages.success(request, "Sent.")
        return redirect(self.conversation_url(bay_number))


class SendOptinRequestView(ConversationMixin, View):
    def post(self, request, contact_id):
        bay_number = self.selected_bay_number(request.POST)
        if bay_number is None:
            raise PermissionDenied("You have no BAY Number to text from.")
        try:
            consent_request_optin(bay_number=bay_number, contact=self.contact, actor=request.user)
        except ConsentRefused as refusal:
            messages.error(request, f"Opt-in request not sent. {refusal}")
        else:
            messages.success(request, f"Opt-in request sent to {self.contact.full_name}.")
        return redirect(self.conversation_url(bay_number))


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
        contact = agent.contacts.filter(pk=self.request.GET.get("contact") or None).first()
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
