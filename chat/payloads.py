"""What each platform is sent: pure functions from a ChatMessage to the JSON body.

- Slack incoming webhook: Block Kit (header, section with fields, a link button) and `text`,
  the fallback for notifications.
- Microsoft Teams (a Workflows "post to a channel when a webhook request is received" flow):
  a `message` with one Adaptive Card attachment (TextBlocks, a FactSet, an OpenUrl action).
- Matrix client-server API: the `m.room.message` content (`m.notice`, the msgtype for bots,
  with an HTML body), sent by PUT to /rooms/{room}/send/m.room.message/{txnId}.
"""

import html
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote


@dataclass(frozen=True)
class ChatMessage:
    title: str
    text: str
    url: str
    link_label: str
    facts: list[tuple[str, str]] = field(default_factory=list)

    @property
    def fallback(self) -> str:
        return f"{self.title}: {self.text}" if self.text else self.title


def _slack_escape(text: str) -> str:
    # Slack's mrkdwn reads &, < and > as control characters.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(message: ChatMessage) -> dict[str, Any]:
    section: dict[str, Any] = {
        "type": "section",
        "text": {"type": "mrkdwn", "text": _slack_escape(message.text or message.title)[:3000]},
    }
    if message.facts:
        section["fields"] = [
            {"type": "mrkdwn", "text": f"*{_slack_escape(label)}*\n{_slack_escape(value)}"[:2000]}
            for label, value in message.facts[:10]
        ]
    return {
        "text": _slack_escape(message.fallback)[:3000],
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": message.title[:150]}},
            section,
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": message.link_label[:75]},
                        "url": message.url,
                        "action_id": "open_in_helpdesk",
                    }
                ],
            },
        ],
    }


def teams_payload(message: ChatMessage) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": message.title,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        }
    ]
    if message.text:
        body.append({"type": "TextBlock", "text": message.text, "wrap": True})
    if message.facts:
        body.append(
            {
                "type": "FactSet",
                "facts": [{"title": label, "value": value} for label, value in message.facts],
            }
        )
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": body,
                    "actions": [
                        {"type": "Action.OpenUrl", "title": message.link_label, "url": message.url}
                    ],
                },
            }
        ],
    }


def matrix_payload(message: ChatMessage) -> dict[str, Any]:
    facts_text = "".join(f"\n{label}: {value}" for label, value in message.facts)
    facts_html = "".join(
        f"<br><b>{html.escape(label)}</b>: {html.escape(value)}" for label, value in message.facts
    )
    text = f"\n{message.text}" if message.text else ""
    text_html = f"<br>{html.escape(message.text)}" if message.text else ""
    return {
        "msgtype": "m.notice",
        "body": f"{message.title}{text}{facts_text}\n{message.link_label}: {message.url}",
        "format": "org.matrix.custom.html",
        "formatted_body": (
            f"<b>{html.escape(message.title)}</b>{text_html}{facts_html}"
            f'<br><a href="{html.escape(message.url, quote=True)}">'
            f"{html.escape(message.link_label)}</a>"
        ),
    }


def matrix_send_url(*, homeserver: str, room_id: str, txn_id: str) -> str:
    """PUT target; the transaction id makes a retried send one message (the server dedupes)."""
    return (
        f"{homeserver.rstrip('/')}/_matrix/client/v3/rooms/{quote(room_id, safe='')}"
        f"/send/m.room.message/{quote(txn_id, safe='')}"
    )
