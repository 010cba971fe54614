"""Helpdesk contents for the pull tests, written for them (no text from the shared data sets)."""

from __future__ import annotations

from tests.pull.helpdesks import Freshdesk, Gorgias, Zendesk

PRIVATE_NOTE = "INTERNAL NOTE: refund approved by Sam, do not tell the customer yet"
QUESTION = "Hello, my order has not arrived yet and the tracking page shows nothing. Can you help?"
ANSWER = (
    "Hello, this is Mia. I'm sorry for the wait! I have asked the carrier to check your parcel and you will "
    "hear from us within 24 hours. Is there anything else I can help with?"
)
THANKS = "No, that's all. Thank you very much!"

ZENDESK_CHANNELS = {
    "email": "email", "web": "email", "api": "email", "chat": "chat", "native_messaging": "chat", "voice": "phone",
    "twitter": "social", "facebook": "social", "instagram_dm": "social", "whatsapp": "social", "line": "social",
    "wechat": "social", "sms": "other", "mobile_sdk": "other",
}  # fmt: skip
FRESHDESK_SOURCES = {
    1: "email",
    2: "email",
    10: "email",
    3: "phone",
    7: "chat",
    5: "social",
    6: "social",
    9: "other",
}
GORGIAS_CHANNELS = {
    "email": "email", "chat": "chat", "phone": "phone", "facebook": "social", "facebook-messenger": "other",
    "instagram-comment": "social", "instagram-direct-message": "social", "twitter": "social",
    "twitter-direct-message": "social", "whatsapp": "social", "sms": "other", "api": "other",
}  # fmt: skip

CUSTOMER, AGENT, ADMIN, STRANGER = 1001, 2001, 2002, 9999


def stamp(minute: int, day: int = 20) -> str:
    return f"2026-11-{day:02d}T{9 + minute // 60:02d}:{minute % 60:02d}:00Z"


# Zendesk ------------------------------------------------------------------------------------------------------------
def zendesk_comment(cid: int, author: int | None, body: str, minute: int, public: bool = True) -> dict:
    return {
        "id": cid, "type": "Comment", "author_id": author, "body": body, "html_body": f"<p>{body}</p>",
        "plain_body": body, "public": public, "created_at": stamp(minute), "attachments": [],
        "via": {"channel": "web"},
    }  # fmt: skip


def zendesk_ticket(tid: int, channel: str, minute: int, **extra) -> dict:
    return {
        "id": tid, "url": f"https://acme.zendesk.com/api/v2/tickets/{tid}.json", "subject": f"Order {tid}",
        "status": "solved", "requester_id": CUSTOMER, "assignee_id": AGENT, "group_id": 360001,
        "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}},
        "satisfaction_rating": None, "created_at": stamp(minute), "updated_at": stamp(minute + 5),
        **extra,
    }  # fmt: skip


def fill_zendesk(desk: Zendesk) -> dict[str, int]:
    """One ticket per via.channel value, plus the awkward ones; returns their ids by role."""
    for user, role in ((CUSTOMER, "end-user"), (AGENT, "agent"), (ADMIN, "admin")):
        desk.add_user(user, role)
    for i, channel in enumerate(ZENDESK_CHANNELS):
        tid = 100 + i
        ticket = zendesk_ticket(tid, channel, i)
        comments = [
            zendesk_comment(tid * 10 + 1, CUSTOMER, QUESTION, i),
            zendesk_comment(tid * 10 + 2, ADMIN if i % 2 else AGENT, ANSWER, i + 1),
            zendesk_comment(tid * 10 + 3, CUSTOMER, THANKS, i + 2),  # on the second page: show_many
        ]
        desk.put(ticket, comments)
    desk.tickets[100]["satisfaction_rating"] = {"score": "good", "comment": "quick"}
    desk.tickets[101]["satisfaction_rating"] = {"score": "bad", "comment": "slow"}
    desk.tickets[102]["satisfaction_rating"] = {"score": "offered"}
    desk.comments[100].insert(1, zendesk_comment(1009, AGENT, PRIVATE_NOTE, 1, public=False))
    desk.put(
        zendesk_ticket(200, "email", 30, status="deleted"), [zendesk_comment(2001, CUSTOMER, QUESTION, 30)]
    )
    desk.put(  # nothing usable: a private note and an empty public comment
        zendesk_ticket(201, "email", 31),
        [
            zendesk_comment(2011, AGENT, PRIVATE_NOTE, 31, public=False),
            zendesk_comment(2012, CUSTOMER, " ", 31),
        ],
    )
    desk.put(  # one comment by an author the helpdesk does not know
        zendesk_ticket(202, "chat", 32),
        [zendesk_comment(2021, CUSTOMER, QUESTION, 32), zendesk_comment(2022, STRANGER, "Hi?", 33),
         zendesk_comment(2023, AGENT, ANSWER, 34)],
    )  # fmt: skip
    return {"deleted": 200, "unusable": 201, "stranger": 202, "good": 100, "bad": 101, "offered": 102}


# Freshdesk ----------------------------------------------------------------------------------------------------------
def freshdesk_ticket(tid: int, source: int, minute: int, **extra) -> dict:
    return {
        "id": tid, "subject": f"Order {tid}", "description": f"<div>{QUESTION}</div>", "description_text": QUESTION,
        "source": source, "status": 5, "priority": 1, "requester_id": CUSTOMER, "responder_id": AGENT,
        "group_id": 77, "created_at": stamp(minute), "updated_at": stamp(minute + 5), "deleted": False, **extra,
    }  # fmt: skip


def freshdesk_conversation(
    cid: int, incoming: bool, user: int | None, body: str, minute: int, private=False
) -> dict:
    return {
        "id": cid, "body": f"<div>{body}</div>", "body_text": body, "incoming": incoming, "private": private,
        "user_id": user, "source": 0, "created_at": stamp(minute), "updated_at": stamp(minute),
    }  # fmt: skip


def fill_freshdesk(desk: Freshdesk, count: int | None = None) -> dict[str, int]:
    sources = list(FRESHDESK_SOURCES)
    for i in range(count or len(sources)):
        tid = 1 + i
        desk.put(
            freshdesk_ticket(tid, sources[i % len(sources)], i),
            [freshdesk_conversation(tid * 10 + 1, False, AGENT, ANSWER, i + 1),
             freshdesk_conversation(tid * 10 + 2, True, CUSTOMER, THANKS, i + 2)],
        )  # fmt: skip
    desk.conversations[1].insert(1, freshdesk_conversation(19, False, AGENT, PRIVATE_NOTE, 1, private=True))
    desk.put(freshdesk_ticket(500, 1, 40, deleted=True), [])
    desk.put(
        freshdesk_ticket(501, 1, 41, description_text="", description=""),
        [freshdesk_conversation(5011, False, AGENT, PRIVATE_NOTE, 41, private=True)],
    )
    desk.put(
        freshdesk_ticket(502, 7, 42),
        [freshdesk_conversation(5021, False, None, "Who wrote this?", 43),
         freshdesk_conversation(5022, False, AGENT, ANSWER, 44)],
    )  # fmt: skip
    return {"deleted": 500, "unusable": 501, "stranger": 502}


# Gorgias ------------------------------------------------------------------------------------------------------------
def gorgias_ticket(tid: int, channel: str, minute: int, **extra) -> dict:
    return {
        "id": tid, "uri": f"/api/tickets/{tid}/", "channel": channel, "via": "helpdesk", "status": "closed",
        "subject": f"Order {tid}", "customer": {"id": CUSTOMER, "email": "kim@example.com"},
        "assignee_user": {"id": AGENT, "email": "mia@acme.example"}, "created_datetime": stamp(minute),
        "updated_datetime": stamp(minute + 5), "trashed_datetime": None, "spam": False, **extra,
    }  # fmt: skip


def gorgias_message(
    mid: int, from_agent: bool, sender: int | None, body: str, minute: int, public=True
) -> dict:
    return {
        "id": mid, "channel": "email", "via": "email", "public": public, "from_agent": from_agent,
        "sender": {"id": sender, "email": "x@example.com"} if sender else None, "body_text": body,
        "body_html": f"<p>{body}</p>", "created_datetime": stamp(minute),
    }  # fmt: skip


def fill_gorgias(desk: Gorgias) -> dict[str, int]:
    for i, channel in enumerate(GORGIAS_CHANNELS):
        tid = 700 + i
        desk.put(
            gorgias_ticket(tid, channel, i),
            [gorgias_message(tid * 10 + 1, False, CUSTOMER, QUESTION, i),
             gorgias_message(tid * 10 + 2, True, AGENT, ANSWER, i + 1),
             gorgias_message(tid * 10 + 3, False, CUSTOMER, THANKS, i + 2)],
        )  # fmt: skip
    desk.messages[700].insert(1, gorgias_message(7009, True, AGENT, PRIVATE_NOTE, 1, public=False))
    desk.put(
        gorgias_ticket(800, "email", 40, trashed_datetime=stamp(50)),
        [gorgias_message(8001, False, 1, QUESTION, 40)],
    )
    desk.put(
        gorgias_ticket(801, "email", 41), [gorgias_message(8011, True, AGENT, PRIVATE_NOTE, 41, public=False)]
    )
    desk.put(
        gorgias_ticket(802, "chat", 42),
        [
            gorgias_message(8021, False, None, "Anyone there?", 42),
            gorgias_message(8022, True, AGENT, ANSWER, 43),
        ],
    )
    return {"deleted": 800, "unusable": 801, "stranger": 802}
