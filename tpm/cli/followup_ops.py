"""``python -m tpm cases purge|retention``: the retention of follow-up data, for a cron job and the admin.

``purge`` deletes the contact data and notes of cases closed longer ago than their study's retention period
(:mod:`tpm.followup.retention`; audited as the CLI user); ``retention --study S --days N`` sets that period
(``--days none``: kept). The ``cases`` command (tpm/cli/alerts.py) dispatches these two actions here.
Bad input (a date that is no ISO date, a negative period, an unknown study): exit 2, one line.
"""

from __future__ import annotations

import json
from datetime import date

from tpm.cli.common import CliError, access, database, store, studies


def _day(text: str | None) -> date:
    try:
        return date.fromisoformat(text) if text else date.today()
    except ValueError:
        raise CliError(f"--today: a date YYYY-MM-DD, not '{text}'") from None


def cmd_purge(args) -> int:
    from tpm.followup.retention import purge

    today = _day(args.today)
    actor = access.cli_actor()
    with database(args) as con:
        done = purge(con, today, actor=actor.name, via=actor.via)
    print(json.dumps({"today": today.isoformat(), "purged": {str(k): v for k, v in done.items()}}))
    return 0


def cmd_retention(args) -> int:
    from tpm.followup.retention import RetentionError, set_retention

    text = args.days.strip().lower()
    if not (text == "none" or text.isdigit()):
        raise CliError(f"--days: a whole number of days >= 0 or 'none', not '{args.days}'")
    days = None if text == "none" else int(text)
    actor = access.cli_actor()
    with database(args) as con:
        study = studies.resolve(con, args.study)
        try:
            set_retention(con, study, days)
        except RetentionError as exc:
            raise CliError(str(exc)) from None
        store.record(con, actor.name, actor.via, "study.retention", str(study), {"days": days})
    print(json.dumps({"study": study, "retention_days": days}))
    return 0
