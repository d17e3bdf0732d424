"""The texts the product sends by itself. Each names the agent and the
brokerage, because carriers reject anonymous programs (CTIA guidelines)."""

FREQUENCY = "Msg frequency varies"
RATES = "Msg & data rates may apply"


def _sender(agent, brokerage) -> str:
    if agent is None:
        return brokerage.name
    return f"{agent.display_name} of {brokerage.name}"


def _reach(agent, brokerage) -> str:
    phone = (agent.phone if agent else "") or brokerage.phone
    return f"call {phone}" if phone else "reply to this number"


def optin_request(*, agent, brokerage) -> str:
    """Ask for consent: who asks, YES/NO, frequency, rates, HELP."""
    return (
        f"{_sender(agent, brokerage)} would like to text you about your real estate "
        f"plans. Reply YES to opt in or NO to opt out. {FREQUENCY}. {RATES}. "
        "Reply HELP for help."
    )


def optin_confirmation(*, agent, brokerage) -> str:
    """Confirm consent: who, frequency, rates, HELP and STOP."""
    return (
        f"You're subscribed to texts from {_sender(agent, brokerage)}. {FREQUENCY}. "
        f"{RATES}. Reply HELP for help, STOP to opt out."
    )


def optout_confirmation(*, agent, brokerage) -> str:
    """Confirm the opt-out once: no more texts, how to opt back in; nothing else."""
    return (
        f"You're unsubscribed from {_sender(agent, brokerage)} and will get no more "
        "texts. Reply START to opt back in."
    )


def help_reply(*, agent, brokerage) -> str:
    """Answer HELP or INFO: who, how to reach them, how to stop."""
    return (
        f"{_sender(agent, brokerage)}: for help, {_reach(agent, brokerage)}. "
        f"{FREQUENCY}. {RATES}. Reply STOP to opt out."
    )
