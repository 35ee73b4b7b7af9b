from celery import shared_task

from mailin.mailbox import imap_config, mailbox_poll


@shared_task
def poll_mailbox() -> int:
    """Turn new mail into tickets and replies; a no-op when no IMAP host is configured.

    Safe to overlap with itself: a message is processed once by its Message-ID.
    """
    config = imap_config()
    if config is None:
        return 0
    return mailbox_poll(config=config).handled
