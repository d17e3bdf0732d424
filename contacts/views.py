"""The contacts screens: the list, one contact, add and edit, CSV import."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views import View

from contacts import selectors
from contacts import services as contact_services
from contacts.forms import ContactFilterForm, ContactForm, ContactImportForm
from messaging import selectors as messaging_selectors


class ContactListView(LoginRequiredMixin, View):
    """The agent's contacts: search, consent filter, pages of 50."""

    def get(self, request):
        bay_numbers = list(messaging_selectors.agent_bay_numbers(request.user))
        form = ContactFilterForm(request.GET, agent=request.user)
        filters = form.filters(bay_numbers)
        contacts = selectors.contact_list(agent=request.user, **filters)
        page = Paginator(contacts, selectors.CONTACTS_PAGE_SIZE).get_page(request.GET.get("page"))
        badges = {}
        if filters["bay_number"] is not None:
            badges = messaging_selectors.consent_badges(
                bay_number=filters["bay_number"], phones=[c.phone for c in page.object_list]
            )
        query = request.GET.copy()
        query.pop("page", None)
        context = {
            "form": form,
            "page": page,
            "rows": [(contact, badges.get(contact.phone)) for contact in page.object_list],
            "bay_number": filters["bay_number"],
            "bay_numbers": bay_numbers,
            "filtered": bool(filters["query"] or filters["consent"]),
            "page_query": query.urlencode(),
        }
        return render(request, "contacts/list.html", context)


class ContactDetailView(LoginRequiredMixin, View):
    """One contact: details, and for each BAY Number the consent, the opt-in
    requests and the consent history."""

    def get(self, request, contact_id):
        contact = messaging_selectors.agent_contact(request.user, contact_id)
        panels = selectors.texting_panels(
            agent=request.user,
            contact=contact,
            bay_numbers=messaging_selectors.agent_bay_numbers(request.user),
        )
        return render(request, "contacts/detail.html", {"contact": contact, "panels": panels})


def _extension_warning(request, form: ContactForm) -> None:
    if form.dropped_extension:
        messages.warning(
            request,
            f"Extension {form.dropped_extension} was left out: texts cannot reach an "
            "extension, only the number itself.",
        )


class ContactCreateView(LoginRequiredMixin, View):
    def get(self, request, form=None, status=200):
        context = {"form": form or ContactForm(), "contact": None}
        return render(request, "contacts/form.html", context, status=status)

    def post(self, request):
        form = ContactForm(request.POST)
        if form.is_valid():
            try:
                contact = contact_services.contact_create(agent=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                _extension_warning(request, form)
                messages.success(request, f"Added {contact.full_name}.")
                return redirect("contacts:detail", contact.pk)
        return self.get(request, form=form, status=400)


class ContactUpdateView(LoginRequiredMixin, View):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.contact = messaging_selectors.agent_contact(request.user, kwargs["contact_id"])
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, contact_id, form=None, status=200):
        form = form or ContactForm(initial=ContactForm.initial_for(self.contact))
        context = {"form": form, "contact": self.contact}
        return render(request, "contacts/form.html", context, status=status)

    def post(self, request, contact_id):
        form = ContactForm(request.POST)
        if form.is_valid():
            try:
                contact_services.contact_update(
                    agent=request.user, contact=self.contact, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                _extension_warning(request, form)
                messages.success(request, f"Saved {self.contact.full_name}.")
                return redirect("contacts:detail", self.contact.pk)
        return self.get(request, contact_id, form=form, status=400)


class ContactImportView(LoginRequiredMixin, View):
    """Upload a CSV; the answer is the report of every row."""

    def get(self, request, form=None, status=200):
        context = {"form": form or ContactImportForm(), "report": None}
        return render(request, "contacts/import.html", context, status=status)

    def post(self, request):
        form = ContactImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                report = contact_services.contacts_import(
                    agent=request.user, data=form.cleaned_data["file"].read()
                )
            except ValidationError as error:
                form.add_error("file", error)
            else:
                context = {"form": ContactImportForm(), "report": report}
                return render(request, "contacts/import.html", context)
        return self.get(request, form=form, status=400)
