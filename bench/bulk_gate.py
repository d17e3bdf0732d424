"""(b) The bulk-send gate's cost for 1,000 and for 10,000 recipients: time
and queries, measured in one run on PostgreSQL.

    DATABASE_URL=postgres://root@127.0.0.1:5432/cb_delivery_bench \\
        .venv/bin/python bench/bulk_gate.py [--repeat 5]

The agent has 10,000 contacts: a quarter opted in, a quarter asked, a
quarter opted out (each through the consent services, so with their ledger
rows), the rest never asked, and 1% on the do-not-text list. The gate
(`messaging.bulk.bulk_plan`) decides for the first 1,000 and for all 10,000;
targets: the same number of queries, and 10,000 costing at most 12 times
1,000. For information, queueing the allowed texts (one insert) is timed
too, in a transaction rolled back afterwards.
"""

import argparse
import gc
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fresh_database, reply_yes, seed_agent, setup_django

SIZES = (1000, 10000)


class _Rollback(Exception):
    pass


def seed(total: int):
    from django.db import transaction

    from brokerages.models import Agent
    from contacts.models import Contact
    from messaging import quiet_hours
    from messaging.models import Message
    from optin import services as consent
    from optin.models import ConsentEvent

    agent, bay_number = seed_agent()
    brokerage = agent.brokerage
    admin = Agent.objects.create(username="admin", brokerage=brokerage, role=Agent.Role.ADMIN)
    # Fictional numbers (555-01xx) across 100 US area codes.
    area_codes = [
        entry.code
        for entry in quiet_hours.area_codes().values()
        if entry.region == "US" and entry.zones
    ][:100]
    phones = [f"+1{area_codes[n // 100]}55501{n % 100:02d}" for n in range(total)]
    Contact.objects.bulk_create(
        Contact(agent=agent, first_name=f"Pat{n}", phone=phone) for n, phone in enumerate(phones)
    )
    contacts = list(agent.contacts.order_by("pk"))
    with transaction.atomic():
        for n, contact in enumerate(contacts):
            quarter = n % 4
            if quarter == 0:
                reply_yes(bay_number, contact, n)
            elif quarter == 1:
                consent.consent_request_optin(bay_number=bay_number, contact=contact, actor=agent)
            elif quarter == 2:
                consent.consent_revoke(
                    bay_number=bay_number,
                    phone=contact.phone,
                    source=ConsentEvent.Source.INBOUND_KEYWORD,
                    keyword="stop",
                    confirm=False,
                )
            if n % 100 == 7:
                consent.do_not_text_add(brokerage=brokerage, phone=contact.phone, actor=admin)
    Message.objects.filter(direction=Message.Direction.OUTBOUND).delete()
    return agent, bay_number


def measure(agent, bay_number, size: int, repeat: int) -> dict:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from messaging import bulk

    def recipients():
        return agent.contacts.order_by("pk")[:size]

    # The queries are counted in runs of their own: recording each one's SQL
    # (10,000 parameters for the larger size) is the test tooling's cost, not
    # the gate's, and it made the larger size look a tenth slower.
    queries = set()
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            bulk.bulk_plan(bay_number=bay_number, contacts=recipients(), template="Hi")
        queries.add(len(captured))
    gate_times = []
    for _ in range(repeat):
        # Each run starts from a collected heap, as a fresh request would,
        # so garbage left by the seeding does not bill one size and not the other.
        gc.collect()
        started = time.perf_counter()
        plan = bulk.bulk_plan(bay_number=bay_number, contacts=recipients(), template="Hi")
        gate_times.append(time.perf_counter() - started)

    send_times = []
    for _ in range(max(1, repeat // 2)):
        started = time.perf_counter()
        try:
            with transaction.atomic():
                bulk.bulk_send(
                    agent=agent,
                    bay_number=bay_number,
                    body="Hi {first_name}",
                    contacts=recipients(),
                )
                send_times.append(time.perf_counter() - started)
                raise _Rollback
        except _Rollback:
            pass
    return {
        "gate_s": statistics.median(gate_times),
        "queries": sorted(queries),
        "allowed": len(plan.sendable),
        "skipped": len(plan.skipped),
        "send_s": statistics.median(send_times),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per size (median kept)")
    args = parser.parse_args()
    setup_django(LOG_LEVEL="WARNING", SMS_BACKEND="messaging.backends.locmem.LocmemBackend")
    fresh_database()
    print(f"seeding {max(SIZES):,} contacts through the consent services ...", flush=True)
    agent, bay_number = seed(max(SIZES))

    results = {size: measure(agent, bay_number, size, args.repeat) for size in SIZES}
    small, large = (results[size] for size in SIZES)
    for size, result in results.items():
        print(
            f"{size:>6,} recipients: gate {result['gate_s'] * 1000:8.1f} ms, "
            f"{'/'.join(map(str, result['queries']))} queries, {result['allowed']:,} allowed, "
            f"{result['skipped']:,} skipped; gate + queue {result['send_s'] * 1000:8.1f} ms"
        )
    ratio = large["gate_s"] / small["gate_s"]
    same_queries = small["queries"] == large["queries"] and len(small["queries"]) == 1
    print(f"gate time 10,000 / 1,000: {ratio:.2f}x  (target <= 12x)")
    print(f"gate queries constant: {'yes' if same_queries else 'NO'}  (target: yes)")
    print("targets met" if ratio <= 12 and same_queries else "TARGETS MISSED")


if __name__ == "__main__":
    main()
