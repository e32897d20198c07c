"""The verbs whose past participle :func:`lucent_runtime.naming.past_tense_of` may supply.

Curated on purpose: an event type's last word is only inflected when it is one of these
verbs, so a noun (``PriceFeed``, ``TradeOrder``, ``PortfolioSnapshot``) is never turned
into a wrong participle. Left out, although they are verbs too:

- words that usually name a thing in a trading system (``Deposit``, ``Transfer``,
  ``Swap``, ``Trade``, ``Order``, ``Request``, ``Claim``, ``Stake``, ``Limit``, ``List``,
  ``Log``, ``Check``, ``Flag``, ``Plan``, ``Schedule``, ``Process``, ``Review``);
- verbs whose participle is spelled two ways (``Cancel``: Canceled / Cancelled,
  ``Label``, ``Signal``; ``Burn``: Burned / Burnt; ``Get``: Got / Gotten);
- irregular verbs whose base form is a common noun (``Deal``, ``Lead``, ``Strike``,
  ``Rise``, ``Fall``, ``Sweep``).

Every participle here is accepted by :func:`~lucent_runtime.naming.is_past_tense` (the
irregular ones are in ``IRREGULAR_PAST_TENSE``, possibly behind a prefix); the tests
check it.
"""

from __future__ import annotations

#: base form -> past participle, for the irregular verbs (prefixed forms listed as such,
#: since a prefix does not always keep a verb irregular: Relay -> Relayed, not Relaid)
IRREGULAR: dict[str, str] = dict(
    pair.split(":")
    for pair in """
    begin:begun bind:bound break:broken build:built buy:bought choose:chosen draw:drawn
    find:found forget:forgotten freeze:frozen give:given hide:hidden hold:held keep:kept
    leave:left lend:lent lose:lost make:made overbuy:overbought overdraw:overdrawn
    overpay:overpaid oversell:oversold overtake:overtaken pay:paid prepay:prepaid
    rebuild:rebuilt repay:repaid resell:resold resend:resent retake:retaken
    rewrite:rewritten sell:sold send:sent spend:spent steal:stolen take:taken
    unbind:unbound undertake:undertaken underwrite:underwritten undo:undone
    unfreeze:unfrozen unwind:unwound uphold:upheld win:won withdraw:withdrawn
    withhold:withheld write:written
    """.split()
)

#: regular verbs: ``e`` -> ``+d`` (Execute -> Executed), consonant + ``y`` -> ``ied``
#: (Verify -> Verified), otherwise ``+ed`` (Lock -> Locked, Deploy -> Deployed). None of
#: them ends in a single vowel and a single consonant, where doubling would be a question.
REGULAR: frozenset[str] = frozenset(
    """
    accept accrue acknowledge activate add adjust allocate apply approve archive assess
    assign attach authenticate authorize block borrow calculate capture certify change
    charge classify clear close collect complete confirm connect consume convert correct
    create deactivate decline decrease delay delete deny deploy destroy detach detect
    disable disconnect dismiss dispatch distribute enable end enroll evaluate exceed execute
    expire export extend fail fill finalize finish generate grant halt harvest hedge
    identify import increase initialize initiate insert install invalidate invest invite
    issue join launch link liquidate load lock migrate mint modify move notify onboard pause
    place prepare proceed publish qualify raise reach reactivate rebalance recalculate
    receive reconcile redeem reduce refresh reject release reload remove rename renew
    replace replay reserve resolve restart restore resume retire retry revert revoke select
    settle start subscribe succeed suspend terminate track unlink unlock unsubscribe update
    upgrade upload validate verify
    """.split()
)

#: ending in a single vowel and a single consonant, with no doubling (an unstressed last
#: syllable): Open -> Opened, Trigger -> Triggered
NOT_DOUBLED: frozenset[str] = frozenset(
    "deliver enter open recover register reopen trigger".split()
)

#: ending in a single vowel and a single consonant that doubles: Stop -> Stopped
DOUBLED: frozenset[str] = frozenset("admit ban commit drop emit ship stop submit".split())

#: verbs only recognised before a particle (``UserLogIn`` -> ``UserLoggedIn``), where the
#: word cannot be the noun it is on its own (``AuditLog``)
PHRASAL: dict[str, str] = dict(
    pair.split(":")
    for pair in """
    cash:cashed check:checked log:logged opt:opted roll:rolled sign:signed
    spin:spun top:topped wind:wound
    """.split()
)


def participle(verb: str) -> str | None:
    """The past participle of a lower-case verb of these tables, or None."""
    if verb in IRREGULAR:
        return IRREGULAR[verb]
    if verb in DOUBLED:
        return f"{verb}{verb[-1]}ed"
    if verb in NOT_DOUBLED:
        return f"{verb}ed"
    if verb not in REGULAR:
        return None
    if verb.endswith("e"):
        return f"{verb}d"
    if verb.endswith("y") and verb[-2] not in "aeiou":
        return f"{verb[:-1]}ied"
    return f"{verb}ed"
