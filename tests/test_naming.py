"""The naming rules of lucent_runtime/naming.py, shared by the runtime's checks and the linter."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lucent_runtime import _verb_forms, naming
from lucent_runtime.naming import PLACEHOLDER as P

# -- words and cases --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("TradeExecuted", ["Trade", "Executed"]),
        ("NFTMinted", ["NFT", "Minted"]),
        ("YieldOpportunityDetected", ["Yield", "Opportunity", "Detected"]),
        ("OrderV2Placed", ["Order", "V", "2", "Placed"]),
        ("tradeExecuted", ["trade", "Executed"]),
        ("KYCVerified", ["KYC", "Verified"]),
    ],
)
def test_split_words(name: str, words: list[str]) -> None:
    assert naming.split_words(name) == words


@pytest.mark.parametrize("name", ["TradeExecuted", "Rebalance", "NFTMinted", "OrderV2Placed"])
def test_pascal_case_accepted(name: str) -> None:
    assert naming.is_pascal_case(name)


@pytest.mark.parametrize(
    "name",
    ["trade_executed", "tradeExecuted", "TRADE", "Trade_Executed", "Trade-Executed", "", "2Fa"],
)
def test_pascal_case_rejected(name: str) -> None:
    assert not naming.is_pascal_case(name)


@pytest.mark.parametrize("name", ["risk-assessment", "trading", "yield-farming-v2"])
def test_kebab_case_accepted(name: str) -> None:
    assert naming.is_kebab_case(name)


@pytest.mark.parametrize(
    "name", ["risk_assessment", "RiskAssessment", "risk-", "-risk", "risk--assessment", ""]
)
def test_kebab_case_rejected(name: str) -> None:
    assert not naming.is_kebab_case(name)


@pytest.mark.parametrize(
    ("name", "pascal"),
    [
        ("trade_executed", "TradeExecuted"),
        ("trade-executed", "TradeExecuted"),
        ("tradeExecuted", "TradeExecuted"),
        ("TRADE_EXECUTED", "TradeExecuted"),
        ("yield opportunity.detected", "YieldOpportunityDetected"),
        ("", ""),
    ],
)
def test_to_pascal_case(name: str, pascal: str) -> None:
    assert naming.to_pascal_case(name) == pascal


@pytest.mark.parametrize(
    ("name", "kebab"),
    [
        ("RiskAssessment", "risk-assessment"),
        ("risk_assessment", "risk-assessment"),
        (" Risk Assessment ", "risk-assessment"),
        ("riskAssessment2", "risk-assessment2"),
        ("risk-assessment", "risk-assessment"),
        ("__", ""),
    ],
)
def test_to_kebab_case(name: str, kebab: str) -> None:
    assert naming.to_kebab_case(name) == kebab


# words of two letters or more: "a_b" gives "AB", an acronym, not PascalCase
_SNAKE_WORD = st.from_regex(r"[a-z]{2}[a-z0-9]{0,7}", fullmatch=True)


@given(st.lists(_SNAKE_WORD, min_size=1, max_size=5))
def test_to_pascal_case_of_snake_words_is_pascal_case(words: list[str]) -> None:
    snake = "_".join(words)
    pascal = naming.to_pascal_case(snake)
    assert naming.is_pascal_case(pascal)
    assert pascal.lower() == snake.replace("_", "")
    assert naming.to_pascal_case(snake.upper()) == pascal


@given(st.lists(_SNAKE_WORD, min_size=1, max_size=5))
def test_kebab_and_snake_round_trip(words: list[str]) -> None:
    kebab = "-".join(words)
    assert naming.is_kebab_case(kebab)
    assert naming.to_snake(kebab) == "_".join(words)


# -- past tense and event types ----------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "TradeExecuted",
        "YieldOpportunityDetected",
        "PortfolioRebalanced",
        "UserCreated",
        "OrderSent",
        "FundsWithdrawn",
        "PositionBuilt",
        "InvoicePaid",
        "OrderSet",
        "BacktestRun",
        "UserLoggedIn",
        "AccountSignedUp",
        "LoanPaidOff",
        "LoanRepaid",
        "PositionUnwound",
        "CollateralUnfrozen",
        "TokensOversold",
        "PriceRose",
        "MarketFell",
        "NFTMinted",
        "OrderV2Placed",
    ],
)
def test_past_tense_event_types(name: str) -> None:
    assert naming.is_past_tense(name)
    assert naming.event_type_problem(name) is None


@pytest.mark.parametrize(
    ("name", "verb"),
    [
        ("TradeExecute", "Execute"),
        ("ExecuteTrade", "Trade"),
        ("PriceFeed", "Feed"),
        ("TradeOutcome", "Outcome"),
        ("OrderProceed", "Proceed"),
        ("UserLogIn", "Log"),
        ("Trade", "Trade"),
        ("OrderCreate2", "Create"),
    ],
)
def test_not_past_tense_event_types(name: str, verb: str) -> None:
    assert not naming.is_past_tense(name)
    problem = naming.event_type_problem(name)
    assert problem is not None
    assert "past-tense" in problem
    assert repr(verb) in problem


@pytest.mark.parametrize("name", ["trade_executed", "tradeExecuted", "TRADE_EXECUTED", ""])
def test_event_type_not_pascal_case(name: str) -> None:
    problem = naming.event_type_problem(name)
    assert problem is not None
    assert "PascalCase" in problem


def test_extra_past_tense_words() -> None:
    assert not naming.is_past_tense("PositionHodl")
    assert naming.is_past_tense("PositionHodl", ["hodl"])
    assert naming.event_type_problem("PositionHodl", ["Hodl"]) is None
    assert naming.command_type_problem("HodlPosition", ["hodl"]) is not None


# -- command types -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "AssessYieldRisk",
        "ExecuteSwap",
        "Rebalance",
        "AssessArbitrageRisk",
        "SetLeverage",
        "CutPosition",
        "RunBacktest",
        "ReadBalance",
        "ResetPassword",
        "SplitOrder",
        "PlaceOrder",
        "LogIn",
        "NotifyOrderFilled",
        "MarkInvoicePaid",
        "SeedWallet",
    ],
)
def test_imperative_command_types(name: str) -> None:
    assert naming.command_type_problem(name) is None


@pytest.mark.parametrize(
    "name",
    ["TradeExecuted", "ExecutedSwap", "OrderSent", "Executed", "RiskAssessed", "FundsWithdrawn"],
)
def test_past_tense_command_types(name: str) -> None:
    problem = naming.command_type_problem(name)
    assert problem is not None
    assert "imperative" in problem


@pytest.mark.parametrize("name", ["assess_yield_risk", "assessYieldRisk", "ASSESS"])
def test_command_type_not_pascal_case(name: str) -> None:
    problem = naming.command_type_problem(name)
    assert problem is not None
    assert "PascalCase" in problem


# -- stream ids -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "stream_id",
    [
        "user-123",
        "trade-abc123",
        "portfolio-user-456",
        "yield-analysis-789",
        "risk-assessment-xyz",
        f"trade-{P}",
        f"arbitrage-opportunity-{P}",
        f"swap-workflow-{P}-{P}",
        f"{P}-{P}",
        f"{P}",
    ],
)
def test_well_formed_stream_ids(stream_id: str) -> None:
    assert naming.stream_id_problem(stream_id) is None


@pytest.mark.parametrize(
    "stream_id",
    [
        "",
        "trade",
        "trade-",
        "Trade-123",
        "trade_123",
        "trade:123",
        "trade 123",
        "-trade-1",
        "yield_analysis-789",
        "trade-{trade_id}",
        f"trade{P}",
        f"trade_{P}",
        f"Trade-{P}",
        f"trade:{P}",
    ],
)
def test_malformed_stream_ids(stream_id: str) -> None:
    problem = naming.stream_id_problem(stream_id)
    assert problem is not None
    assert "\x00" not in problem


@given(
    st.lists(_SNAKE_WORD, min_size=1, max_size=3),
    st.from_regex(r"[A-Za-z0-9]{1,12}", fullmatch=True),
)
def test_kebab_type_and_any_id_is_a_stream_id(words: list[str], ident: str) -> None:
    kind = "-".join(words)
    assert naming.stream_id_problem(f"{kind}-{ident}") is None
    assert naming.stream_id_problem(f"{kind}-{P}") is None
    assert naming.stream_id_problem(f"{'_'.join(words)}_{ident}") is not None


# -- subjects --------------------------------------------------------------------------------------


def test_subject_builders() -> None:
    assert (
        naming.event_subject("crypto-trading", "TradeExecuted")
        == "lucent.events.domain.crypto_trading.TradeExecuted"
    )
    assert (
        naming.command_subject("risk-assessment", "AssessYieldRisk")
        == "lucent.commands.risk_assessment.AssessYieldRisk"
    )


@pytest.mark.parametrize(
    "subject",
    [
        "lucent.events.domain.crypto_trading.TradeExecuted",
        "lucent.events.domain.yield_farming.YieldOpportunityDetected",
        "lucent.events.domain.user_management.UserCreated",
        "lucent.commands.risk_assessment.AssessYieldRisk",
        "lucent.commands.trading.ExecuteSwap",
        "lucent.commands.portfolio.Rebalance",
        "lucent.events.domain.crypto_trading.*",
        "lucent.events.domain.*.TradeExecuted",
        "lucent.events.domain.crypto_trading.>",
        "lucent.events.domain.>",
        "lucent.events.>",
        "lucent.commands.trading.>",
        "lucent.commands.*.*",
        "lucent.commands.>",
        "lucent.*.>",
        "lucent.>",
        "lucent.dlq.trading",
        "lucent.dlq.risk-assessment",
        f"lucent.events.domain.{P}.{P}",
        f"lucent.events.domain.crypto_trading.{P}",
        f"lucent.commands.{P}.{P}",
        f"lucent.commands.{P}_v2.ExecuteSwap",
        f"lucent.{P}.domain.crypto_trading.TradeExecuted",
    ],
)
def test_well_formed_subjects(subject: str) -> None:
    assert naming.subject_problem(subject) is None


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("lucent.events.crypto_trading.TradeExecuted", "lucent.events.domain."),
        ("lucent.events.domain.crypto-trading.TradeExecuted", "lucent.events.domain."),
        ("lucent.events.domain.crypto_trading.trade_executed", "lucent.events.domain."),
        ("lucent.events.domain.crypto_trading.ExecuteTrade", "lucent.events.domain."),
        ("lucent.events.domain.crypto_trading.TradeExecuted.v2", "lucent.events.domain."),
        ("lucent.events.domain..TradeExecuted", "lucent.events.domain."),
        ("lucent.events", "lucent.events.domain."),
        ("lucent.commands.risk-assessment.AssessYieldRisk", "lucent.commands."),
        ("lucent.commands.trading.SwapExecuted", "lucent.commands."),
        ("lucent.commands.trading", "lucent.commands."),
        ("lucent.commands.trading.ExecuteSwap.now", "lucent.commands."),
        ("lucent.event.domain.crypto_trading.TradeExecuted", " or "),
        ("lucent.cmd.trading.ExecuteSwap", " or "),
        ("lucent.dlq", " or "),
        ("lucent", " or "),
        (f"lucent.events.{P}.{P}", "lucent.events.domain."),
        (f"lucent.commands.{P}", "lucent.commands."),
    ],
)
def test_malformed_subjects(subject: str, expected: str) -> None:
    problem = naming.subject_problem(subject)
    assert problem is not None
    assert expected in problem
    assert "\x00" not in problem


def test_subject_uses_extra_past_tense() -> None:
    subject = "lucent.events.domain.crypto_trading.PositionHodl"
    assert naming.subject_problem(subject) is not None
    assert naming.subject_problem(subject, ["hodl"]) is None


@given(
    st.lists(_SNAKE_WORD, min_size=1, max_size=3),
    st.sampled_from(["TradeExecuted", "OrderSent", "UserLoggedIn", "LoanRepaid"]),
    st.sampled_from(["ExecuteSwap", "AssessYieldRisk", "SetLeverage", "Rebalance"]),
)
def test_built_subjects_are_well_formed(words: list[str], event: str, command: str) -> None:
    name = "-".join(words)
    assert naming.subject_problem(naming.event_subject(name, event)) is None
    assert naming.subject_problem(naming.command_subject(name, command)) is None


# -- the past tense of an event type (LUC303's fix) ----------------------------------------------

_TABLE_VERBS = sorted(
    {*_verb_forms.IRREGULAR, *_verb_forms.REGULAR, *_verb_forms.NOT_DOUBLED, *_verb_forms.DOUBLED}
)
_ENDS_CVC = re.compile(r"[^aeiou][aeiou][^aeiouwxy]\Z")


@pytest.mark.parametrize(
    ("name", "fixed"),
    [
        ("TradeExecute", "TradeExecuted"),
        ("YieldOpportunityDetect", "YieldOpportunityDetected"),
        ("PositionClose", "PositionClosed"),
        ("CollateralLiquidate", "CollateralLiquidated"),
        ("UserCreate", "UserCreated"),
        ("VaultLock", "VaultLocked"),
        ("OrderFill", "OrderFilled"),
        ("KycVerify", "KycVerified"),
        ("DiscountApply", "DiscountApplied"),
        ("ContractDeploy", "ContractDeployed"),
        ("SettlementDelay", "SettlementDelayed"),
        ("PositionOpen", "PositionOpened"),
        ("AlertTrigger", "AlertTriggered"),
        ("BotStop", "BotStopped"),
        ("TransactionCommit", "TransactionCommitted"),
        ("OrderSend", "OrderSent"),
        ("TokensSell", "TokensSold"),
        ("TokensBuy", "TokensBought"),
        ("InvoicePay", "InvoicePaid"),
        ("LoanRepay", "LoanRepaid"),
        ("FundsWithdraw", "FundsWithdrawn"),
        ("AccountFreeze", "AccountFrozen"),
        ("AccountUnfreeze", "AccountUnfrozen"),
        ("MarginHold", "MarginHeld"),
        ("PortfolioBuild", "PortfolioBuilt"),
        ("AuctionWin", "AuctionWon"),
        ("PositionUnwind", "PositionUnwound"),
        ("LimitExceed", "LimitExceeded"),
        ("PaymentSucceed", "PaymentSucceeded"),
        ("NFTMint", "NFTMinted"),
        ("OrderV2Place", "OrderV2Placed"),
        ("Execute", "Executed"),
        # a trailing particle stays; the verb before it is inflected
        ("UserLogIn", "UserLoggedIn"),
        ("AccountSignUp", "AccountSignedUp"),
        ("LoanPayOff", "LoanPaidOff"),
        ("UserOptOut", "UserOptedOut"),
        ("NodeSpinUp", "NodeSpunUp"),
    ],
)
def test_past_tense_of_obvious_names(name: str, fixed: str) -> None:
    assert naming.past_tense_of(name) == fixed
    assert naming.event_type_problem(fixed) is None


@pytest.mark.parametrize(
    "name",
    [
        # nouns: no verb to inflect
        "PriceFeed",
        "TradeOrder",
        "PortfolioSnapshot",
        "TradeExecution",
        "UserLogin",
        "AuditLog",
        "LoanRequest",
        "FeatureFlag",
        "OrderLimit",
        "WatchList",
        # nouns that are verbs too, naming things in trading: not obvious
        "FundsDeposit",
        "TokenTransfer",
        "TokenSwap",
        "PriceRise",
        # participles spelled two ways
        "OrderCancel",
        "TokensBurn",
        # a prefix does not keep every verb irregular (Relayed, not Relaid)
        "MessageRelay",
        # the verb first: which aggregate did what is not obvious
        "ExecuteTrade",
        "CreateWallet",
        # digits, acronyms, progressive forms, a particle on its own
        "OrderCreate2",
        "OrderExecuteAPI",
        "TradeExecuting",
        "PriceUp",
        # not PascalCase: LUC302's
        "trade_execute",
        "tradeExecute",
        "TRADE_EXECUTE",
        "",
    ],
)
def test_past_tense_of_leaves_what_is_not_obvious(name: str) -> None:
    assert naming.past_tense_of(name) is None


@pytest.mark.parametrize("name", ["TradeExecuted", "OrderSet", "BacktestRun", "UserLoggedIn"])
def test_past_tense_of_a_valid_event_type_is_itself(name: str) -> None:
    assert naming.past_tense_of(name) == name


def test_past_tense_of_uses_extra_past_tense() -> None:
    assert naming.past_tense_of("PositionHodl") is None
    assert naming.past_tense_of("PositionHodl", ["hodl"]) == "PositionHodl"
    assert naming.past_tense_of("TradeExecute", ["hodl"]) == "TradeExecuted"


def test_verb_tables_are_disjoint() -> None:
    tables = [
        set(_verb_forms.IRREGULAR),
        _verb_forms.REGULAR,
        _verb_forms.NOT_DOUBLED,
        _verb_forms.DOUBLED,
        set(_verb_forms.PHRASAL),
    ]
    assert sum(map(len, tables)) == len(set().union(*tables))


def test_irregular_participles_are_the_standard_irregular_forms() -> None:
    for table in (_verb_forms.IRREGULAR, _verb_forms.PHRASAL):
        for participle in table.values():
            if not participle.endswith("ed"):
                assert naming._is_irregular_past(participle), participle


def test_regular_verbs_leave_no_doubling_question() -> None:
    assert not [verb for verb in _verb_forms.REGULAR if _ENDS_CVC.search(verb)]
    assert all(_ENDS_CVC.search(verb) for verb in _verb_forms.NOT_DOUBLED | _verb_forms.DOUBLED)


@pytest.mark.parametrize("verb", _TABLE_VERBS)
def test_every_table_verb_is_inflected_into_a_valid_event_type(verb: str) -> None:
    name = f"Order{verb.capitalize()}"
    assert naming.event_type_problem(name) is not None  # the base form is not past tense
    fixed = naming.past_tense_of(name)
    assert fixed is not None and fixed.startswith("Order")
    assert naming.event_type_problem(fixed) is None


def test_phrasal_verbs_only_before_a_particle() -> None:
    for verb, participle in _verb_forms.PHRASAL.items():
        assert naming.past_tense_of(f"User{verb.capitalize()}") is None
        assert (
            naming.past_tense_of(f"User{verb.capitalize()}In") == f"User{participle.capitalize()}In"
        )


_HEAD = st.lists(
    st.from_regex(r"[A-Z][a-z]{1,8}|[A-Z]{2,4}|V[0-9]", fullmatch=True), min_size=0, max_size=3
).map("".join)
_PARTICLE = st.sampled_from(["", "In", "Out", "Up", "Off"])


@given(_HEAD, st.sampled_from(_TABLE_VERBS), _PARTICLE)
def test_a_table_verb_after_any_head_becomes_its_participle(
    head: str, verb: str, particle: str
) -> None:
    participle = _verb_forms.participle(verb)
    assert participle is not None
    fixed = naming.past_tense_of(f"{head}{verb.capitalize()}{particle}")
    assert fixed == f"{head}{participle.capitalize()}{particle}"
    assert naming.event_type_problem(fixed) is None
    assert naming.past_tense_of(fixed) == fixed


@given(st.from_regex(r"[A-Z][A-Za-z0-9]{0,24}", fullmatch=True))
def test_past_tense_of_any_name_is_valid_and_changes_only_the_last_verb(name: str) -> None:
    fixed = naming.past_tense_of(name)
    if fixed is None:
        return
    assert naming.event_type_problem(fixed) is None
    assert naming.past_tense_of(fixed) == fixed
    if fixed != name:
        assert naming.event_type_problem(name) is not None
        words, fixed_words = naming.split_words(name), naming.split_words(fixed)
        assert len(words) == len(fixed_words)
        changed = [i for i, (a, b) in enumerate(zip(words, fixed_words, strict=True)) if a != b]
        assert len(changed) == 1
        verb, participle = words[changed[0]].lower(), fixed_words[changed[0]].lower()
        assert participle in (_verb_forms.participle(verb), _verb_forms.PHRASAL.get(verb))


@given(st.from_regex(r"[a-z]{2,10}", fullmatch=True))
def test_words_outside_the_tables_are_never_inflected(word: str) -> None:
    name = f"Order{word.capitalize()}"
    if word in _TABLE_VERBS or naming.event_type_problem(name) is None:
        return
    assert naming.past_tense_of(name) is None
