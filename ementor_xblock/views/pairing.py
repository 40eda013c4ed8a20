"""The pairing panel ("understanding the pairing"): who the partner is and why the two were paired.

Before a match: when matching runs and what it weighs. After: the partner's shared profile and verified
qualifications, the factor-by-factor explanation and the answer to the pairing. Mentors see each of their
mentees. Pausing and leaving the program live here too.
"""

from __future__ import annotations

from typing import Any

from ementor_plugin import api
from ementor_plugin.data import (
    EvidenceData,
    ExplanationData,
    FactorData,
    MatchingOverview,
    MatchResponse,
    MatchStatus,
    MatchView,
    ParticipantStatus,
    ProgramData,
    Role,
    Schedule,
)

from .. import labels
from . import ViewContext
from .common import format_date, format_datetime, hours_label, language_names, percent, percent_int
from .common import render as render_template


def overview_dict(ctx: ViewContext, overview: MatchingOverview, program: ProgramData | None) -> dict[str, Any]:
    """How matching works in this course, as the instructor configured it."""
    words = ctx.words
    factors = []
    for factor in sorted(overview.factors, key=lambda f: (-f.weight, f.factor)):
        name, description = words.factor(factor.factor)
        factors.append({"name": name, "description": description, "weight": percent(factor.weight),
                        "width": percent_int(factor.weight)})
    rules = []  # the strategy itself is the overview's description, shown above these
    if overview.language_required:
        rules.append(words.gettext("Partners always share at least one language."))
    if overview.min_score > 0:
        rules.append(words.gettext("Pairs that fit less than {score} are not made.").format(
            score=percent(overview.min_score)))
    if overview.requires_approval:
        rules.append(words.gettext("The course team reviews every pairing before you see it."))
    rules.append(words.gettext(
        "Your course grades are used for matching; your partner sees them only if you allow it."))
    return {"factors": factors, "rules": rules, "description": overview.description}


def next_run_text(ctx: ViewContext, program: ProgramData) -> str:
    """When the next matching run is, in words."""
    words = ctx.words
    if program.schedule == Schedule.MANUAL:
        return words.gettext(
            "The course team starts matching runs. You will get a notice here as soon as you are paired.")
    when = api.get_next_run_at(ctx.caller.course_key)
    if when is None:
        return words.gettext("The next matching run starts soon.")
    return words.gettext("The next matching run is due on {when}.").format(when=format_datetime(when, ctx.time_zone))


def _evidence(ctx: ViewContext, factor: FactorData, evidence: EvidenceData | None, view: MatchView) -> str:
    """The facts behind one factor, in plain words, from the viewer's side of the pair."""
    words = ctx.words
    if factor.neutral:
        return words.gettext("Not enough information to compare, so this counted as neutral.")
    if evidence is None:
        return factor.note
    mentee_view = view.my_role == Role.MENTEE
    if factor.factor == "skills":
        if not evidence.shared_skills:
            return words.gettext("None of the skills asked for and offered are the same.")
        text = (words.gettext("Your mentor offers skills you asked for: {skills}.") if mentee_view
                else words.gettext("You offer skills your mentee asked for: {skills}."))
        return text.format(skills=", ".join(evidence.shared_skills))
    if factor.factor == "performance":
        parts = []
        for area in evidence.complementary_areas[:3]:
            if area.mentee_score is not None and area.mentor_score is not None:
                mine, theirs = ((area.mentee_score, area.mentor_score) if mentee_view
                                else (area.mentor_score, area.mentee_score))
                parts.append(words.gettext("{area}: you {mine}, your partner {theirs}").format(
                    area=area.area, mine=percent(mine), theirs=percent(theirs)))
            else:
                parts.append(area.area)
        if not parts:
            return words.gettext("No course area where one of you is clearly stronger than the other.")
        if mentee_view:
            return words.gettext("Your mentor did well where you want to improve: {areas}.").format(
                areas="; ".join(parts))
        return words.gettext("You did well where your mentee wants to improve: {areas}.").format(areas="; ".join(parts))
    if factor.factor == "language":
        if not evidence.shared_languages:
            return words.gettext("You do not share a language you both listed.")
        return words.gettext("You both speak {languages}.").format(
            languages=", ".join(language_names(evidence.shared_languages)))
    if factor.factor == "availability":
        hours = evidence.overlapping_hours
        if not hours:
            return words.gettext("Your free hours do not overlap yet; agree on a time together.")
        return words.ngettext("You are both free {count} hour a week.", "You are both free {count} hours a week.",
                              hours).format(count=hours)
    if factor.factor == "aspirations":
        if not evidence.shared_terms:
            return words.gettext("What you wrote about your hopes and experience has little in common.")
        return words.gettext("You both wrote about {terms}.").format(terms=", ".join(evidence.shared_terms[:6]))
    return factor.note


def explanation_dict(ctx: ViewContext, view: MatchView, explanation: ExplanationData) -> dict[str, Any]:
    """The per-factor breakdown of one pairing."""
    words = ctx.words
    if not explanation.available:
        return {"available": False}
    rows = []
    for factor in sorted(explanation.factors, key=lambda f: (-f.contribution, f.factor)):
        name, description = words.factor(factor.factor)
        rows.append({
            "name": name,
            "description": description,
            "weight": percent(factor.weight),
            "value": percent(factor.value),
            "contribution": f"{factor.contribution * 100:.0f}",
            "width": percent_int(factor.value),
            "evidence": _evidence(ctx, factor, explanation.evidence, view),
        })
    return {
        "available": True,
        "score": percent(explanation.score),
        "rows": rows,
        "by_staff": str(explanation.origin) == "staff",
    }


def _partner(ctx: ViewContext, view: MatchView) -> dict[str, Any]:
    words, partner = ctx.words, view.partner
    qualifications = []
    for item in partner.qualifications:
        value = percent(item.value) if item.kind == "course_grade" and isinstance(item.value, float) else ""
        qualifications.append({"label": item.label, "value": value, "verified": item.verified})
    return {
        "name": partner.username,
        "is_mentor": partner.role == Role.MENTOR,
        "skills": list(partner.skills),
        "about": partner.about,
        "aspirations": partner.aspirations,
        "languages": language_names(partner.languages),
        "time_zone": partner.time_zone.replace("_", " "),
        "hours": hours_label(words, partner.overlapping_hours, ctx.time_zone),
        "qualifications": qualifications,
    }


def match_dict(ctx: ViewContext, view: MatchView) -> dict[str, Any]:
    """One active pairing: partner, explanation and answers."""
    words = ctx.words
    explanation = api.get_match_explanation(ctx.caller.user_id, view.id)
    return {
        "id": view.id,
        "partner": _partner(ctx, view),
        "explanation": explanation_dict(ctx, view, explanation),
        "since": format_date(view.activated_at.date()) if view.activated_at else "",
        "pending": view.my_response == MatchResponse.PENDING,
        "accepted": view.my_response == MatchResponse.ACCEPTED,
        "partner_response": words.label(labels.RESPONSES, view.partner_response),
        "partner_accepted": view.partner_response == MatchResponse.ACCEPTED,
    }


def render(ctx: ViewContext):
    """The pairing panel's HTML."""
    words = ctx.words
    user_id, course_key = ctx.caller.user_id, ctx.caller.course_key
    participant = ctx.participant
    views = api.list_my_matches(user_id, course_key)
    active = [match_dict(ctx, view) for view in views if view.status == MatchStatus.ACTIVE]
    past = [
        {"partner": view.partner.username or words.gettext("A former participant"),
         "status": words.label(labels.MATCH_STATUSES, view.status),
         "ended": format_date(view.ended_at.date()) if view.ended_at else ""}
        for view in views if view.status != MatchStatus.ACTIVE
    ][:5]
    overview = api.get_matching_overview(course_key)
    mentoring = participant.role in (Role.MENTOR, Role.BOTH)
    wants = participant.role in (Role.MENTEE, Role.BOTH)
    has_mentor = any(item["partner"]["is_mentor"] for item in active)
    context = {
        "uid": ctx.uid,
        "active": active,
        "past": past,
        "overview": overview_dict(ctx, overview, ctx.program),
        "next_run": next_run_text(ctx, ctx.program),
        "waiting_for_mentor": wants and not has_mentor and participant.status == ParticipantStatus.ACTIVE,
        "mentoring": mentoring,
        "places_left": max(0, participant.capacity - participant.load) if mentoring else 0,
        "status": str(participant.status),
        "status_label": words.label(labels.PARTICIPANT_STATUSES, participant.status),
        "reasons": [{"value": code, "label": words.gettext(text)} for code, text in labels.DECLINE_REASONS.items()],
    }
    return render_template("panels/pairing.html", context, words)
