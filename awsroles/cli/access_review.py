"""``awsroles access review``: per person, their grants and when they (and the roles) were last used."""

from __future__ import annotations

from datetime import datetime, timezone

import click

from awsroles.cli.app import App, common_options, pass_app
from awsroles.errors import ExitCode, UsageError
from awsroles.people.review import GrantReview, PersonReview, Review, iso, parse_since
from awsroles.people.review import review as make_review
from awsroles.render import TABLE_FORMS, Result, Table

CSV_COLUMNS = ("reviewed_at", "cutoff", "person", "teams", "in_iam", "password", "password_last_used", "keys",
               "last_active", "person_flags", "environment", "role", "grant", "via", "from", "until", "grant_id",
               "reason", "role_last_used", "grant_flags")
TRAIL_COLUMN = "last_assumed_by_person"  # the last CSV column, with --cloudtrail only
# An org on Identity Center alone: no password, key or last activity of a person (people.review_ic)
IC_CSV_COLUMNS = ("reviewed_at", "cutoff", "person", "teams", "in_identity_center", "person_flags", "environment",
                  "role", "grant", "via", "from", "until", "grant_id", "reason", "role_last_used", "grant_flags")


def _keys(person: PersonReview) -> str:
    """``AKIA...=2026-11-20T10:00:00Z; AKIB...=never`` (key ids are not secrets; IAM lists them)."""
    return "; ".join(f"{k.key.id}={iso(k.key.last_used)}{'' if k.key.status == 'Active' else ' (inactive)'}"
                     for k in person.keys)


def _person_cells(review: Review, person: PersonReview) -> list[str]:
    if review.identity_center:
        return [iso(review.now), iso(review.cutoff), person.name, " ".join(person.teams),
                "yes" if person.in_identity_center else "no", "; ".join(person.flags)]
    use = person.use
    return [iso(review.now), iso(review.cutoff), person.name, " ".join(person.teams), "yes" if use else "no",
            ("yes" if use.password else "no") if use else "", iso(use.password_last_used) if use else "",
            _keys(person), iso(person.last_active) if use else "", "; ".join(person.flags)]


def _grant_cells(grant: GrantReview | None, trail: bool = False) -> list[str]:
    if grant is None:
        return [""] * (11 if trail else 10)
    a, use = grant.access, grant.use
    return [a.environment, a.role, a.kind, a.via, iso(a.starts) if a.starts else "", iso(a.until) if a.until else "",
            a.grant_id, a.reason,
            iso(use.last_used) if use.exists else "role not in AWS", "; ".join(grant.flags),
            *([grant.assumed_text] if trail else [])]


def csv_table(review: Review) -> Table:
    """One row per person and grant (a person with no grant: one row, grant columns empty)."""
    rows = [[*_person_cells(review, p), *_grant_cells(g, review.cloudtrail)]
            for p in review.people for g in (p.grants or (None,))]
    if review.identity_center:
        return Table(IC_CSV_COLUMNS, rows)
    return Table((*CSV_COLUMNS, TRAIL_COLUMN) if review.cloudtrail else CSV_COLUMNS, rows)


def _people(review: Review) -> Table:
    people = []
    for p in review.people:
        cells = _person_cells(review, p)
        if review.identity_center:
            people.append([p.name, cells[3] or "-", cells[4], cells[5] or "-"])
            continue
        password = "not in IAM" if p.use is None else cells[6] if p.use.password else f"no password ({cells[6]})"
        people.append([p.name, cells[3] or "-", password, cells[7] or "none", cells[8] or "-", cells[9] or "-"])
    if review.identity_center:
        return Table(("person", "teams", "in Identity Center", "flags"), people, title="People")
    return Table(("person", "teams", "password last used", "access keys (last used)", "last active", "flags"),
                 people, title="People")


def tables(review: Review) -> list[Table]:
    grants: list[list[str]] = []
    sections: set[int] = set()
    for p in review.people:
        sections.add(len(grants))
        for g in p.grants:
            a = g.access
            kind = a.kind
            if a.kind == "temporary":
                kind += f" from {iso(a.starts)}" if a.starts else ""
                kind += f" until {iso(a.until)}" if a.until else ""
            grants.append([p.name, a.environment, a.role, f"{kind} ({a.via})",
                           iso(g.use.last_used) if g.use.exists else "role not in AWS",
                           *([g.assumed_text] if review.cloudtrail else []), "; ".join(g.flags) or "-"])
    return [_people(review),
            Table(("person", "environment", "role", "grant", "role last used",
                   *(("last assumed by person",) if review.cloudtrail else ()), "flags"), grants,
                  title="Grants", sections=sections)]


@click.command()
@common_options(forms=TABLE_FORMS)
@click.option("--since", default="90d", show_default=True, metavar="PERIOD",
              help="The cut-off: no use since then is flagged (days or hours: 90d, 36h, 1d12h).")
@click.option("--cloudtrail", is_flag=True,
              help="Also read CloudTrail's AssumeRole events in each environment account: who assumed each role.")
@click.option("--profile", metavar="NAME", help="AWS profile with admin credentials in ops.")
@pass_app
def review(app: App, since: str, cloudtrail: bool, profile: str | None) -> int:
    """Per person: standing and temporary grants, break-glass roles, and when each was last used.

    For every IAM user in the org file: the last use of their console password and of each
    access key, and for each role they may assume the role's last use (IAM's RoleLastUsed, read
    in each environment's account through the bootstrap role). RoleLastUsed is per role, not per
    person. With --cloudtrail, also when each person last assumed each role: CloudTrail's
    AssumeRole events (event history: the last 90 days) in each environment's account, by
    source identity; an unused grant is then one this person did not assume since the cut-off.
    An account whose CloudTrail cannot be read gets a note and keeps IAM's per-role data. Flags
    inactive people, never-used ones, unused grants and access keys older than the cut-off and
    unused since, and break-glass roles used since the cut-off (an unused one is not
    flagged). Read-only.

    In an org on IAM Identity Center alone: whether the Identity Store has each person, and for
    each grant the last use of the role Identity Center made for its permission set in that
    account (per role, not per person); no password, key or sign-in (the Identity Store API has
    none), and no --cloudtrail (its sessions carry no source identity).

    \b
    Examples:
      awsroles access review                    the last 90 days
      awsroles access review --since 30d -o csv > review.csv
      awsroles access review --cloudtrail       who assumed which role, by CloudTrail
      awsroles access review -o json | jq '.people[] | select(.flags != [])'
    """
    from awsroles.cli.planview import engine_for

    period = parse_since(since)  # a bad --since: exit 2 before anything is read
    engine = engine_for(app, profile, 8)  # loads the org file; asks AWS nothing yet
    if not engine.org.uses_iam_users:
        if cloudtrail:
            raise UsageError("--cloudtrail reads AssumeRole events by the person's source identity; an Identity "
                             "Center session has none (this org's people are in IAM Identity Center alone): leave "
                             "it out")
        from awsroles.people import review_ic

        result = review_ic.review(engine.org, engine.iam,
                                  lambda: [u.user_name for u in engine.read_identity_center().users],
                                  now=datetime.now(timezone.utc), since=period)
        app.render(Result(result.as_dict(), tables=tables(result), csv=csv_table(result), notes=notes(result)))
        return ExitCode.OK
    result = make_review(engine.org, engine.iam, now=datetime.now(timezone.utc), since=period,
                         cloudtrail_for=engine.cloudtrail if cloudtrail else None)
    app.render(Result(result.as_dict(), tables=tables(result), csv=csv_table(result), notes=notes(result)))
    return ExitCode.OK


def notes(review: Review) -> list[str]:
    return [f"reviewed at {iso(review.now)}; cut-off {iso(review.cutoff)}", *review.notes]
