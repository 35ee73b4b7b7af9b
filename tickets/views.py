from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tickets.selectors import TicketFilters, ticket_list


@login_required
def home(request: HttpRequest) -> HttpResponse:
    tickets = ticket_list(user=request.user, filters=TicketFilters())[:25]  # type: ignore[arg-type]
    return render(request, "tickets/home.html", {"tickets": tickets})
