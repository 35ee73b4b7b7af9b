"""What a Django admin change form posts back when nothing is changed."""

from django.forms import MultiWidget


def admin_form_data(admin_client, url: str) -> dict:
    """What the admin's change form posts back unchanged."""
    form = admin_client.get(url).context["adminform"].form
    data: dict = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(field.widget, MultiWidget):  # date and time in two inputs
            for i, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{i}"] = "" if part is None else part
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        elif value is not None:
            data[name] = value
    return data
