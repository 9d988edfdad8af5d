"""Command-line entry point `rpmw`."""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import random
import signal
import socket
import sys
import threading
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from richpanel_middleware.configuration import ConfigError
from richpanel_middleware.settings import Settings

if TYPE_CHECKING:
    from richpanel_middleware.runtime.local.server_thread import ServerThread

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Richpanel middleware: classify, route, tag and safely answer customer messages.",
)
flags_app = typer.Typer(
    no_args_is_help=True, help="Show or change runtime flags in the local store."
)
app.add_typer(flags_app, name="flags")
dlq_app = typer.Typer(no_args_is_help=True, help="Inspect and redrive dead-lettered events.")
app.add_typer(dlq_app, name="dlq")

_console = Console(stderr=True)


def _fail(message: str) -> typer.Exit:
    _console.print(f"[red]error:[/red] {message}")
    return typer.Exit(code=2)


def _settings(**overrides: Any) -> Settings:
    """Read RPMW_* settings, turning a validation error into a message naming the variable.

    `overrides` are command-line options; a None value leaves the environment's setting.
    """
    from pydantic import ValidationError

    chosen = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**chosen)
    except ValidationError as error:
        problems = "; ".join(
            (f"RPMW_{'_'.join(str(p) for p in item['loc']).upper()}: " if item["loc"] else "")
            + str(item["msg"]).removeprefix("Value error, ")
            for item in error.errors()
        )
        raise _fail(f"invalid settings: {problems}") from error


@app.command()
def demo(
    messages: Annotated[
        Path | None, typer.Option(help="JSONL file, one message per line (`text` required).")
    ] = None,
    report: Annotated[Path | None, typer.Option(help="Write the JSON report to this file.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Use only the first N messages.")] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=64, help="Worker threads.")] = 4,
    shuffle: Annotated[
        bool, typer.Option(help="Shuffle the rows before --limit is applied.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Random seed for --shuffle.")] = 7,
    rate_limit: Annotated[
        bool,
        typer.Option(
            help="Enforce Richpanel's 50 requests per 30 s in the sandbox (slower, realistic)."
        ),
    ] = False,
    timeout: Annotated[
        float, typer.Option(min=1.0, help="Seconds to wait for the queue to drain.")
    ] = 900.0,
    classifier: Annotated[
        str | None,
        typer.Option(
            help="local, llm or cascade (default: RPMW_CLASSIFIER or local); without "
            "RPMW_LLM_BASE_URL the sandbox LLM answers."
        ),
    ] = None,
    sandbox_llm: Annotated[
        str | None,
        typer.Option(
            help="How the sandbox LLM decides when RPMW_LLM_BASE_URL is unset: reference "
            "(the default: the local model's scores) or keywords (a small table tests can steer)."
        ),
    ] = None,
) -> None:
    """Run the whole pipeline against the Richpanel sandbox and print a summary."""
    from richpanel_middleware.demo.messages import (
        DemoInputError,
        load_messages,
        load_sample_messages,
    )
    from richpanel_middleware.demo.runner import (
        DemoOptions,
        chosen_classifier,
        llm_base_url_configured,
        run_demo,
    )
    from richpanel_middleware.observability.logging import configure_logging

    try:
        rows = load_messages(messages) if messages else load_sample_messages()
    except DemoInputError as error:
        raise _fail(str(error)) from error
    _check_classifier(classifier)
    decisions = _sandbox_llm_choice(sandbox_llm)
    _note_unused_sandbox_llm(
        sandbox_llm, chosen_classifier(classifier), llm_configured=llm_base_url_configured()
    )
    if report is not None:
        _check_report_path(report)
    if shuffle:
        random.Random(seed).shuffle(rows)
    if limit is not None:
        rows = rows[:limit]

    log_path = Path("var/demo.log")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("w", encoding="utf-8") as log_stream:
        configure_logging("INFO", stream=log_stream)
        _console.print(
            f"Running {len(rows)} messages through the pipeline "
            f"(logs: {log_path}, rate limit {'on' if rate_limit else 'off'})."
        )
        try:
            result = run_demo(
                rows,
                DemoOptions(
                    concurrency=concurrency,
                    rate_limit=rate_limit,
                    timeout_s=timeout,
                    classifier=classifier,
                    sandbox_llm=decisions,
                ),
                _console,
            )
        except ConfigError as error:
            raise _fail(str(error)) from error

    _print_summary(result)
    if report is not None:
        report.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
        _console.print(f"Report written to {report}")
    unfinished = result["messages"] - result["processed"]
    if unfinished:
        _console.print(
            f"[red]{unfinished} messages were not processed "
            f"({result['failed']} failed, {result['dead_lettered']} dead-lettered).[/red]"
        )
        raise typer.Exit(code=1)


CLASSIFIERS = ("local", "llm", "cascade")
# Decision sources of the sandbox LLM; see `sandbox/llm_reference.py` for `reference`.
SANDBOX_LLM_DECISIONS = ("reference", "keywords")


def _check_classifier(classifier: str | None) -> None:
    if classifier is not None and classifier not in CLASSIFIERS:
        raise _fail(f"--classifier {classifier!r} is unknown; use {', '.join(CLASSIFIERS)}")


def _check_sandbox_llm(decisions: str, option: str = "--sandbox-llm") -> None:
    if decisions not in SANDBOX_LLM_DECISIONS:
        raise _fail(f"{option} {decisions!r} is unknown; use {', '.join(SANDBOX_LLM_DECISIONS)}")


def _sandbox_llm_choice(decisions: str | None) -> str:
    """Check `--sandbox-llm` and return the decision source, `reference` when it is not given."""
    chosen = "reference" if decisions is None else decisions
    _check_sandbox_llm(chosen)
    return chosen


def _note_unused_sandbox_llm(
    decisions: str | None, classifier: str, *, llm_configured: bool
) -> None:
    """Print a note when the user gave `--sandbox-llm` but the sandbox LLM will not run."""
    if decisions is None:
        return
    if classifier == "local":
        reason = "the local classifier calls no LLM"
    elif llm_configured:
        reason = "RPMW_LLM_BASE_URL is set, so the configured LLM is called"
    else:
        return
    _console.print(f"[yellow]note:[/yellow] --sandbox-llm {decisions} has no effect: {reason}.")


def _reference_classifier(decisions: str) -> Any:
    """Load the local classifier for reference decisions; None for keyword decisions."""
    if decisions != "reference":
        return None
    from richpanel_middleware.configuration import load_app_config

    settings = _settings()
    try:
        config = load_app_config(settings.config_dir)
    except ConfigError as error:
        raise _fail(str(error)) from error
    return _local_classifier(settings, config)


def _local_classifier(settings: Settings, config: Any) -> Any:
    """Load (or train and cache) the local model and wrap it as the configured classifier."""
    from richpanel_middleware.classify.local_model import LocalClassifier
    from richpanel_middleware.runtime.local.model_cache import load_or_train_model

    model = load_or_train_model(settings.model_cache_dir or settings.data_dir / "models")
    return LocalClassifier(model, secondary_min=config.policy.thresholds.secondary_min)


def _sandbox_decisions(decisions: str, local: Any) -> Any:
    """Return the sandbox LLM's decision source; `local` is the reference classifier."""
    from richpanel_middleware.sandbox.llm_app import KeywordDecisions
    from richpanel_middleware.sandbox.llm_reference import ReferenceDecisions

    return ReferenceDecisions(local) if decisions == "reference" else KeywordDecisions()


def _check_report_path(report: Path) -> None:
    """Reject an unusable report path before the run, so a finished run is never lost."""
    if report.is_dir():
        raise _fail(
            f"--report {report} is a folder; give a file name such as {report / 'report.json'}"
        )
    parent = report.parent if str(report.parent) else Path(".")
    if not parent.is_dir():
        raise _fail(f"--report {report}: folder {parent} does not exist; create it first")


def _print_summary(result: dict[str, Any]) -> None:
    out = Console()
    rows = result["conversations"]
    head = Table(title="Run", show_header=False)
    for key in ("messages", "processed", "failed", "dead_lettered", "duration_s"):
        head.add_row(key, str(result[key]))
    replies = sum(row["replies"] for row in rows)
    head.add_row("replies sent", str(replies))
    head.add_row(
        "verified order replies (Tier 2)",
        str(sum(1 for row in rows if row["tier"] == 2 and row["replies"])),
    )
    head.add_row("conversations closed", str(sum(1 for row in rows if row["closed"])))
    head.add_row("classifier", str(result.get("classifier", "local")))
    if result.get("classifier", "local") != "local":
        head.add_row("messages that needed the LLM", f"{result['llm_share']:.1%}")
        head.add_row(
            "LLM calls / model failures", f"{result['llm_calls']} / {result['model_failures']}"
        )
        head.add_row("model cost (USD)", f"{result['cost_usd']:.4f}")
        head.add_row("cost per 1,000 messages (USD)", f"{result['cost_usd_per_1000_messages']:.4f}")
    rate = result["messages"] / result["duration_s"] if result["duration_s"] else 0.0
    head.add_row("messages/s", f"{rate:.1f}")
    out.print(head)

    for title, key in (
        ("By intent", "primary_intent"),
        ("By team", "destination_team"),
        ("By tier", "tier"),
    ):
        table = Table(title=title)
        table.add_column(key)
        table.add_column("conversations", justify="right")
        table.add_column("replies", justify="right")
        table.add_column("closed", justify="right")
        counts = Counter(str(row[key]) for row in rows)
        for value, count in counts.most_common():
            group = [row for row in rows if str(row[key]) == value]
            table.add_row(
                value,
                str(count),
                str(sum(r["replies"] for r in group)),
                str(sum(1 for r in group if r["closed"])),
            )
        out.print(table)

    verified = [row for row in rows if row["tier"] == 2 and row.get("reply_text")]
    if verified:
        example = verified[0]
        out.print(
            Panel(
                example["reply_text"],
                title=f"Example verified reply ({example['input_id']}, {example['template_id']})",
                expand=False,
            )
        )

    looked_up = [row for row in rows if row["order_match"]["looked_up"]]
    if looked_up:
        matches = Table(title="Order lookups")
        matches.add_column("match")
        matches.add_column("conversations", justify="right")
        matches.add_column("verified replies", justify="right")
        matches.add_column("closed", justify="right")
        for method, count in Counter(row["order_match"]["method"] for row in looked_up).items():
            group = [row for row in looked_up if row["order_match"]["method"] == method]
            matches.add_row(
                method,
                str(count),
                str(sum(1 for r in group if r["tier"] == 2 and r["replies"])),
                str(sum(1 for r in group if r["closed"])),
            )
        out.print(matches)


@app.command()
def classify(
    text: Annotated[str, typer.Argument(help="The customer message.")],
    channel: Annotated[
        str, typer.Option(help="Channel: email, chat, social, tiktok or phone.")
    ] = "email",
) -> None:
    """Print the classifier's decision and the policy outcome for one message as JSON."""
    from datetime import UTC, datetime

    from richpanel_middleware.classify.text import strip_quoted_history, word_count
    from richpanel_middleware.configuration import load_app_config
    from richpanel_middleware.helpdesk.model import Comment
    from richpanel_middleware.policy.engine import PolicyContext, plan_actions
    from richpanel_middleware.policy.loop_guard import GuardVerdict

    if not text.strip():
        raise _fail("TEXT is empty; pass the customer message to classify")
    # This command always runs the local classifier, so the LLM settings do not apply.
    settings = _settings(classifier="local")
    try:
        config = load_app_config(settings.config_dir)
    except ConfigError as error:
        raise _fail(str(error)) from error
    classifier = _local_classifier(settings, config)
    result = classifier.classify(text, channel=channel)
    message = Comment("cli", None, text, datetime.now(UTC), False, channel)
    plan = plan_actions(
        result,
        PolicyContext(
            channel=channel,
            word_count=word_count(strip_quoted_history(text)),
            guard=GuardVerdict(message),
            flags=config.default_flags,
        ),
        config.policy,
    )
    output = {
        "decision": result.decision.model_dump(mode="json"),
        "tier0_rules": [hit.rule_id for hit in result.tier0_hits],
        "top_scores": {
            i.value: round(s, 4)
            for i, s in sorted(result.scores.items(), key=lambda item: -item[1])[:5]
        },
        "policy": plan.summary(),
        "reply_text": plan.reply.body if plan.reply else None,
    }
    typer.echo(json.dumps(output, indent=2, ensure_ascii=False))


@app.command("eval")
def eval_command(
    golden: Annotated[
        Path, typer.Option(help="JSONL file, or a folder of them, with labelled rows.")
    ],
    out: Annotated[Path, typer.Option(help="Folder for metrics.json and the other artifacts.")],
    baseline: Annotated[
        Path | None, typer.Option(help="Committed metrics.json to compare against.")
    ] = None,
    classifier: Annotated[
        str | None,
        typer.Option(
            help="local, llm or cascade (default RPMW_CLASSIFIER, else local); without "
            "RPMW_LLM_BASE_URL the sandbox LLM answers."
        ),
    ] = None,
    write_baseline: Annotated[
        bool, typer.Option(help="Replace --baseline with this run's metrics (on purpose only).")
    ] = False,
    sandbox_llm: Annotated[
        str | None,
        typer.Option(
            help="How the sandbox LLM decides when RPMW_LLM_BASE_URL is unset: reference "
            "(the default: the local model's scores, so the figures measure the model path) "
            "or keywords."
        ),
    ] = None,
) -> None:
    """Evaluate the decision pipeline on a golden set; exit 1 when a gate fails."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from richpanel_middleware.configuration import load_app_config
    from richpanel_middleware.eval.gates import evaluate_gates
    from richpanel_middleware.eval.golden import GoldenFileError, load_examples
    from richpanel_middleware.eval.metrics import compute_metrics
    from richpanel_middleware.eval.reports import write_artifacts
    from richpanel_middleware.eval.runner import predict

    _check_classifier(classifier)
    decisions = _sandbox_llm_choice(sandbox_llm)
    if write_baseline and baseline is None:
        raise _fail("--write-baseline needs --baseline PATH to know where to write")
    # Read the baseline first, so a wrong path fails before minutes of evaluation.
    reference = None
    if baseline is not None and not write_baseline:
        reference = _read_baseline(baseline)
    try:
        examples = load_examples(golden)
        config = load_app_config(_settings().config_dir)
    except (GoldenFileError, ConfigError) as error:
        raise _fail(str(error)) from error
    settings = _settings()
    kind = classifier or settings.classifier
    _note_unused_sandbox_llm(sandbox_llm, kind, llm_configured=bool(settings.llm_base_url))
    local = _local_classifier(settings, config)

    with contextlib.ExitStack() as extra:
        chosen = _model_classifier(
            kind,
            local,
            config,
            settings,
            extra,
            sandbox_decisions=_sandbox_decisions(decisions, local),
        )
        with Progress(
            TextColumn("evaluating"), BarColumn(), MofNCompleteColumn(), console=_console
        ) as bar:
            task = bar.add_task("eval", total=len(examples))
            predictions = predict(
                examples,
                chosen,
                config.policy,
                config.default_flags,
                progress=lambda: bar.advance(task),
            )
    try:
        metrics = compute_metrics(predictions)
    except ValueError as error:
        raise _fail(str(error)) from error
    splits: dict[str, dict[str, Any]] = {}
    for name, held_out in (("train", False), ("held_out", True)):
        members = [p for p in predictions if p.example.held_out is held_out and p.example.labelled]
        if members:
            split = compute_metrics(members)
            splits[name] = {k: v for k, v in split.items() if k != "per_intent"}
    metrics["splits"] = splits
    metrics["classifier"] = chosen.version
    used_sandbox = chosen is not local and not settings.llm_base_url
    # The sandbox decision source in use, so a report or baseline names what it measured.
    metrics["sandbox_llm"] = decisions if used_sandbox else None

    try:
        gates = evaluate_gates(metrics, reference)
    except (KeyError, TypeError, ValueError) as error:
        raise _fail(
            f"--baseline {baseline}: not a metrics.json from rpmw eval ({error!r})"
        ) from error
    write_artifacts(out, metrics, predictions, gates)
    if write_baseline and baseline is not None:
        unsafe = [gate.name for gate in gates if not gate.passed]
        if unsafe:
            raise _fail(f"not writing a baseline from a run that fails gates: {', '.join(unsafe)}")
        baseline.parent.mkdir(parents=True, exist_ok=True)
        baseline.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
        _console.print(f"Baseline written to {baseline}")

    table = Table(title=f"Evaluation of {len(examples)} examples")
    for column in ("split", "labelled", "accuracy", "macro F1", "Tier 0 recall", "unsafe replies"):
        table.add_column(column)
    for name, part in (("all", metrics), *splits.items()):
        table.add_row(
            name,
            str(part["labelled"]),
            f"{part['accuracy']:.4f}",
            f"{part['macro_f1']:.4f}",
            f"{part['tier0_recall']:.4f}",
            str(part["unsafe_replies"]),
        )
    Console().print(table)
    if metrics["llm_calls"] or metrics["model_failures"] or chosen is not local:
        _console.print(
            f"LLM: {metrics['llm_share']:.1%} of messages, {metrics['llm_calls']} calls, "
            f"{metrics['model_failures']} model failures, cost {metrics['cost_usd']:.4f} USD "
            f"({metrics['cost_usd_per_1000_messages']:.4f} per 1,000 messages)"
        )
        _print_failure_kinds(metrics["model_failure_kinds"], predictions)
    if used_sandbox:
        _console.print(
            "[dim]The sandbox LLM answered "
            + (
                "with the local model's scores: these figures measure the model path "
                "(Tier 0 rules, minimising, customer block, strict output, policy), "
                "not the system prompt or a hosted model."
                if decisions == "reference"
                else "from its keyword table, a test device and no model of how customers write."
            )
            + "[/dim]"
        )
    failed = [gate for gate in gates if not gate.passed]
    for gate in failed:
        _console.print(f"[red]gate failed:[/red] {gate.name}: {gate.detail}")
    _console.print(f"{len(gates) - len(failed)} of {len(gates)} gates passed; artifacts in {out}")
    if failed:
        raise typer.Exit(code=1)


def _print_failure_kinds(kinds: dict[str, int], predictions: list[Any]) -> None:
    """Print the model failures grouped by kind, each with the message of its first failure."""
    if not kinds:
        return
    _console.print(
        "model failures by kind: " + ", ".join(f"{kind} {count}" for kind, count in kinds.items())
    )
    for kind in kinds:
        message = next(
            (
                p.failure_message
                for p in predictions
                if p.failure_kind == kind and p.failure_message
            ),
            None,
        )
        if message is not None:
            _console.print(f"  {kind}, first failure: {message}", markup=False, highlight=False)


def _model_classifier(
    kind: str,
    local: Any,
    config: Any,
    settings: Settings,
    extra: contextlib.ExitStack,
    *,
    sandbox_decisions: Any = None,
) -> Any:
    """Build the classifier for `kind`, over the configured LLM or else the sandbox LLM.

    `sandbox_decisions` is the sandbox LLM's decision source (keywords when None).
    """
    if kind == "local":
        return local
    from pydantic import SecretStr

    from richpanel_middleware.runtime.local.stack import llm_client, model_classifier
    from richpanel_middleware.sandbox.llm_app import start_llm_sandbox

    if not settings.llm_base_url:
        endpoint = start_llm_sandbox(extra, sandbox_decisions)
        settings = settings.model_copy(
            update={
                "llm_base_url": endpoint.base_url,
                "llm_api_key": SecretStr(endpoint.api_key),
                "llm_model": endpoint.model,
            }
        )
        source = getattr(sandbox_decisions, "name", "keywords")
        _console.print(
            f"[dim]RPMW_LLM_BASE_URL is not set: using the sandbox LLM ({endpoint.model}, "
            f"{source} decisions).[/dim]"
        )
    client = extra.enter_context(llm_client(settings))
    return model_classifier(kind, local, client, config, model=settings.llm_model)


def _read_baseline(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise _fail(
            f"--baseline {path} not found; fix the path, or create it on purpose with --write-baseline"
        )
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise _fail(f"--baseline {path}: not valid JSON ({error})") from error
    required = ("accuracy", "macro_f1", "reply_precision", "per_intent")
    if not isinstance(document, dict) or any(key not in document for key in required):
        raise _fail(
            f"--baseline {path}: not a metrics.json from rpmw eval; it needs {', '.join(required)}"
        )
    return document


@app.command()
def calibrate(
    golden: Annotated[
        Path, typer.Option(help="Golden JSONL file or folder (training split used).")
    ],
    out: Annotated[Path, typer.Option(help="Where to write the proposed thresholds YAML.")],
    tier1_precision: Annotated[
        float, typer.Option(min=0.5, max=1.0, help="Target precision for Tier 1 templates.")
    ] = 0.95,
    tier2_precision: Annotated[
        float, typer.Option(min=0.5, max=1.0, help="Target precision for Tier 2 replies.")
    ] = 0.99,
) -> None:
    """Propose Tier 1 and Tier 2 confidence thresholds that reach target precisions."""
    import yaml

    from richpanel_middleware.configuration import load_app_config
    from richpanel_middleware.eval.calibration import lowest_threshold, propose_tier1_thresholds
    from richpanel_middleware.eval.golden import GoldenFileError, load_examples
    from richpanel_middleware.eval.runner import predict
    from richpanel_middleware.policy.config import Thresholds

    settings = _settings()
    try:
        examples = load_examples(golden)
        config = load_app_config(settings.config_dir)
    except (GoldenFileError, ConfigError) as error:
        raise _fail(str(error)) from error
    local = _local_classifier(settings, config)
    training = [e for e in examples if not e.held_out and e.labelled]
    predictions = predict(training, local, config.policy, config.default_flags)

    floor = config.policy.thresholds.routing.uncertain_min
    overall, per_intent = propose_tier1_thresholds(
        predictions, target_precision=tier1_precision, floor=floor
    )
    status_like = [
        p
        for p in predictions
        if p.primary.value in ("order_status_tracking", "shipping_delay_not_shipped")
    ]
    tier2 = lowest_threshold(status_like, target_precision=tier2_precision, floor=floor)

    current = config.policy.thresholds.model_dump(mode="json")
    if overall is not None:
        current["tier1_template_min"] = overall.threshold
    if tier2 is not None:
        current["tier2_min"] = max(tier2.threshold or 0.0, current["tier2_min"])
    # Keep existing per-intent settings (such as team_min) and update only the template minimum.
    merged = {intent: dict(values) for intent, values in current.get("per_intent", {}).items()}
    for intent, suggestion in per_intent.items():
        merged.setdefault(intent.value, {})["tier1_template_min"] = suggestion.threshold
    current["per_intent"] = merged
    Thresholds.model_validate(current)
    out.parent.mkdir(parents=True, exist_ok=True)
    header = (
        f"# Proposed by rpmw calibrate from {len(training)} training examples: "
        f"Tier 1 precision {tier1_precision}, Tier 2 precision {tier2_precision}.\n"
    )
    out.write_text(header + yaml.safe_dump(current, sort_keys=False), encoding="utf-8")

    table = Table(title="Proposed thresholds (training split)")
    for column in ("scope", "threshold", "precision", "automation rate", "support"):
        table.add_column(column)
    rows = [
        ("tier1 (all)", overall),
        ("tier2 (order status)", tier2),
        *((intent.value, proposal) for intent, proposal in per_intent.items()),
    ]
    for scope, proposal in rows:
        if proposal is None:
            table.add_row(scope, "-", "-", "-", "not enough support")
        else:
            table.add_row(
                scope,
                f"{proposal.threshold:.2f}",
                f"{proposal.precision:.3f}",
                f"{proposal.automation_rate:.1%}",
                str(proposal.support),
            )
    Console().print(table)
    _console.print(f"Thresholds written to {out}; copy it over config/thresholds.yaml to use it.")


@app.command()
def schema(
    name: Annotated[
        str,
        typer.Argument(help="decision (mw_decision_v1), verifier (mw_tier2_verifier_v1) or event"),
    ] = "decision",
) -> None:
    """Print a JSON Schema; decision and verifier come in strict structured-output form."""
    from richpanel_middleware.configuration import load_app_config
    from richpanel_middleware.domain.decision import Decision, Tier2Verdict, strict_json_schema
    from richpanel_middleware.domain.events import InboundEvent

    if name == "decision":
        config = load_app_config(_settings().config_dir)
        routing = config.policy.routing
        document = strict_json_schema(
            Decision,
            teams=sorted(routing.team_names),
            template_ids=config.policy.catalog.template_ids,
        )
    elif name == "verifier":
        document = strict_json_schema(Tier2Verdict)
    elif name == "event":
        document = InboundEvent.model_json_schema()
    else:
        raise _fail(f"unknown schema {name!r}; use decision, verifier or event")
    typer.echo(json.dumps(document, indent=2))


@app.command()
def serve(
    worker: Annotated[bool, typer.Option(help="Also run the worker in this process.")] = True,
    host: Annotated[str | None, typer.Option(help="Bind address (default RPMW_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default RPMW_PORT).")] = None,
    classifier: Annotated[
        str | None,
        typer.Option(help="local, llm or cascade (default RPMW_CLASSIFIER, else local)."),
    ] = None,
) -> None:
    """Run the webhook ingress (and by default the worker) until SIGINT or SIGTERM."""
    import uvicorn

    from richpanel_middleware.observability.logging import configure_logging
    from richpanel_middleware.runtime.local.http_app import create_app
    from richpanel_middleware.runtime.local.stack import build_stack

    _check_classifier(classifier)
    settings = _settings(classifier=classifier)
    configure_logging(settings.log_level)
    if not settings.webhook_tokens and not settings.webhook_hmac_secrets:
        raise _fail(
            "RPMW_WEBHOOK_TOKENS is not set; give one or more comma-separated tokens "
            "(or RPMW_WEBHOOK_HMAC_SECRETS for senders that sign their requests)"
        )
    if worker and settings.richpanel_api_key is None:
        raise _fail("RPMW_RICHPANEL_API_KEY is not set; the worker needs it (or pass --no-worker)")
    try:
        stack = build_stack(settings)
    except (ConfigError, ValueError) as error:
        raise _fail(str(error)) from error
    stack.worker_expected = worker
    application = create_app(
        stack.ingress(), readiness_check=stack.readiness_check, registry=stack.metrics.registry
    )
    if worker:
        # Training the model on a first start takes seconds; ingress already accepts and
        # durably queues webhooks meanwhile, and /ready reports 503 until the worker runs.
        threading.Thread(
            target=_start_worker, args=(stack,), name="rpmw-worker-start", daemon=True
        ).start()
    try:
        uvicorn.run(
            application,
            host=host or settings.host,
            port=port or settings.port,
            log_config=None,
            access_log=False,
        )
    finally:
        stack.close()


def _start_worker(stack: Any) -> None:
    from richpanel_middleware.runtime.local.stack import attach_worker

    try:
        attach_worker(stack).start()
    except Exception:
        logging.getLogger(__name__).exception(
            "worker failed to start; webhooks are queued but not processed",
            extra={"event": "worker_start_failed"},
        )


@app.command("worker")
def worker_command() -> None:
    """Run only the worker against the local queue until SIGINT or SIGTERM."""
    from richpanel_middleware.observability.logging import configure_logging
    from richpanel_middleware.runtime.local.stack import attach_worker, build_stack

    settings = _settings()
    configure_logging(settings.log_level)
    try:
        stack = build_stack(settings)
        runner = attach_worker(stack)
    except (ConfigError, ValueError) as error:
        raise _fail(str(error)) from error
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    runner.start()
    stopping.wait()
    stack.close()


@app.command()
def sandbox(
    host: Annotated[str, typer.Option(help="Bind address; keep it on loopback.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8900,
    api_key: Annotated[
        str, typer.Option(envvar="RPMW_SANDBOX_API_KEY", help="API key the sandbox accepts.")
    ] = "sandbox-key",
    rate_limit: Annotated[bool, typer.Option(help="Enforce 50 requests per 30 s.")] = True,
    webhook_url: Annotated[
        str | None, typer.Option(help="Where to fire webhooks, e.g. http://127.0.0.1:8080/webhook.")
    ] = None,
    webhook_token: Annotated[
        str | None,
        typer.Option(
            envvar="RPMW_SANDBOX_WEBHOOK_TOKEN", help="Token header value for fired webhooks."
        ),
    ] = None,
    shopify_port: Annotated[
        int, typer.Option(help="Port of the Shopify emulator (0 = do not start it).")
    ] = 8901,
    shopify_token: Annotated[
        str,
        typer.Option(
            envvar="RPMW_SANDBOX_SHOPIFY_TOKEN", help="Access token the Shopify emulator accepts."
        ),
    ] = "shpat_sandbox",
    llm_port: Annotated[
        int, typer.Option(help="Port of the OpenAI-compatible LLM emulator (0 = do not start it).")
    ] = 8902,
    llm_key: Annotated[
        str,
        typer.Option(envvar="RPMW_SANDBOX_LLM_KEY", help="API key the LLM emulator accepts."),
    ] = "sandbox-llm-key",
    llm_decisions: Annotated[
        str,
        typer.Option(
            help="How the LLM emulator decides: keywords (a small table tests can steer) or "
            "reference (the local model's scores)."
        ),
    ] = "keywords",
) -> None:
    """Serve the Richpanel, Shopify and LLM emulators until interrupted.

    Each has an admin API: /_sandbox/ on the Richpanel port, /_sandbox/shopify/ on the
    Shopify port, /_sandbox/llm/ on the LLM port. Point RPMW_SHOPIFY_SHOP_URL at the Shopify
    port and RPMW_LLM_BASE_URL at the LLM port's /v1 to use them.
    """
    import uvicorn

    from richpanel_middleware.observability.logging import configure_logging
    from richpanel_middleware.sandbox import RichpanelSandboxSettings, create_richpanel_sandbox
    from richpanel_middleware.sandbox.llm_app import create_llm_sandbox
    from richpanel_middleware.sandbox.llm_state import LlmSandboxSettings
    from richpanel_middleware.sandbox.shopify_app import create_shopify_sandbox
    from richpanel_middleware.sandbox.shopify_state import ShopifySandboxSettings

    _check_sandbox_llm(llm_decisions, "--llm-decisions")
    _check_sandbox_ports(port, shopify_port, llm_port)
    for option, secret in (
        ("--api-key", api_key),
        ("--webhook-token", webhook_token),
        ("--shopify-token", shopify_token),
        ("--llm-key", llm_key),
    ):
        if secret is not None and not secret.strip():
            raise _fail(f"{option} is empty. Give a non-empty value, or leave the option out")
    configure_logging("INFO")
    with contextlib.ExitStack() as servers:
        # Bind every port before any emulator starts, so a port in use stops the command
        # with nothing left running.
        listener = _listen(host, port, "--port")
        servers.callback(listener.close)
        model: ServerThread | None = None
        store: ServerThread | None = None
        decisions_name = ""
        if llm_port:
            decisions = _sandbox_decisions(llm_decisions, _reference_classifier(llm_decisions))
            decisions_name = decisions.name
            llm_app, _ = create_llm_sandbox(LlmSandboxSettings(api_key=llm_key), decisions)
            model = _server_thread(llm_app, host, llm_port, "--llm-port")
            servers.callback(model.stop)
        if shopify_port:
            store_app, _ = create_shopify_sandbox(
                ShopifySandboxSettings(access_token=shopify_token)
            )
            store = _server_thread(store_app, host, shopify_port, "--shopify-port")
            servers.callback(store.stop)

        if model is not None:
            model.start()
            _console.print(
                f"LLM emulator on {model.base_url}/v1 "
                f"(OpenAI-compatible, {decisions_name} decisions)"
            )
        if store is not None:
            store.start()
            _console.print(f"Shopify emulator on {store.base_url}")
        application, _ = create_richpanel_sandbox(
            RichpanelSandboxSettings(
                api_key=api_key,
                rate_limit_enabled=rate_limit,
                webhook_url=webhook_url,
                webhook_token=webhook_token,
            )
        )
        _console.print(f"Richpanel emulator on http://{host}:{port}")
        config = uvicorn.Config(application, log_config=None, access_log=False)
        uvicorn.Server(config).run(sockets=[listener])


def _check_sandbox_ports(port: int, shopify_port: int, llm_port: int) -> None:
    """Reject a port outside the TCP range, or one port given to two emulators."""
    if not 1 <= port <= 65535:
        raise _fail(f"--port {port} is not a TCP port. Use 1 to 65535")
    assigned = {"--port": port}
    for option, value in (("--shopify-port", shopify_port), ("--llm-port", llm_port)):
        if not 0 <= value <= 65535:
            raise _fail(
                f"{option} {value} is not a TCP port. Use 1 to 65535, or 0 to not start "
                "this emulator"
            )
        for other, assigned_port in assigned.items():
            if value and value == assigned_port:
                raise _fail(
                    f"{option} {value} is also given to {other}. Give each emulator its own port"
                )
        assigned[option] = value


def _bind_failure(error: OSError, host: str, port: int, option: str) -> typer.Exit:
    """Report a failed bind with the option that set the port, and return the exit."""
    if error.errno == errno.EADDRINUSE:
        return _fail(
            f"{option} {port}: the port is already in use on {host}. Stop the program that "
            f"uses it, or choose another port with {option}"
        )
    reason = error.strerror or str(error)
    return _fail(
        f"{option} {port}: cannot listen on {host}:{port} ({reason}). Check --host and {option}"
    )


def _listen(host: str, port: int, option: str) -> socket.socket:
    """Return a listening TCP socket on `host` and `port`. A bind failure exits with code 2."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as error:
        raise _bind_failure(error, host, port, option) from error


def _server_thread(app: Any, host: str, port: int, option: str) -> ServerThread:
    """Bind a ServerThread without starting it. A bind failure exits with code 2."""
    from richpanel_middleware.runtime.local.server_thread import ServerThread

    try:
        return ServerThread(app, host=host, port=port)
    except OSError as error:
        raise _bind_failure(error, host, port, option) from error


@flags_app.command("show")
def flags_show() -> None:
    """Print the current runtime flags as JSON."""
    from richpanel_middleware.runtime.local.stack import build_stack

    stack = build_stack(_settings())
    typer.echo(json.dumps(stack.flags.load().model_dump(), indent=2))
    stack.close()


@flags_app.command("set")
def flags_set(
    name: Annotated[str, typer.Argument(help="Flag name, e.g. automation_enabled.")],
    value: Annotated[
        str,
        typer.Argument(
            help="JSON value, e.g. false, 25, '[\"email\"]'. Put `--` before a negative number."
        ),
    ],
) -> None:
    """Change one runtime flag; running workers pick it up within the flag cache time."""
    from richpanel_middleware.runtime.local.stack import build_stack

    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as error:
        raise _fail(f"value {value!r} is not JSON; write booleans as true/false") from error
    stack = build_stack(_settings())
    try:
        flags = stack.flags.set(name, parsed)
    except ValueError as error:
        raise _fail(str(error)) from error
    finally:
        stack.close()
    typer.echo(json.dumps(flags.model_dump(), indent=2))


@dlq_app.command("list")
def dlq_list() -> None:
    """Print the dead-lettered events (ids, reason, receive count) as JSON."""
    from richpanel_middleware.observability.redaction import reference
    from richpanel_middleware.runtime.local.stack import build_stack

    stack = build_stack(_settings())
    try:
        letters = stack.queue.dead_letters()
        for letter in letters:
            # Conversation ids can be e-mail Message-IDs; print the log reference instead.
            letter["conversation_ref"] = reference(str(letter.pop("group_id")))
        typer.echo(json.dumps(letters, indent=2))
    finally:
        stack.close()


@dlq_app.command("redrive")
def dlq_redrive(
    dead_letter_id: Annotated[
        int | None, typer.Option("--id", help="Redrive one dead letter by its id.")
    ] = None,
    all_letters: Annotated[bool, typer.Option("--all", help="Redrive every dead letter.")] = False,
) -> None:
    """Move dead-lettered events back to the queue so the worker processes them again."""
    from richpanel_middleware.runtime.local.sqlite_stores import SqliteIdempotencyStore
    from richpanel_middleware.runtime.local.stack import build_stack

    if (dead_letter_id is None) == (not all_letters):
        raise _fail("give exactly one of --id N or --all")
    stack = build_stack(_settings())
    try:
        keys = stack.queue.redrive(dead_letter_id)
        events = SqliteIdempotencyStore(stack.database)
        for key in keys:
            events.forget_failure(key)
    finally:
        stack.close()
    if dead_letter_id is not None and not keys:
        raise _fail(f"no dead letter with id {dead_letter_id}; see `rpmw dlq list`")
    typer.echo(f"redriven: {len(keys)}")


def main() -> None:  # pragma: no cover - console entry point
    app()
    sys.exit(0)
