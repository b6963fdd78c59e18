"""finmix: the whole study as one Airflow DAG.

Every stage is one ``spark-submit`` of the shaded jar with the stage's job class:

    ingest >> dedup >> decontaminate >> mix (counting bytes) >> train_tokenizer
      >> mix_tokens (counting the trained tokenizer's tokens) >> tokenize
      >> plan (SweepJob --plan --json: the grid's training runs)
      >> train[one per run] >> evaluate[one per run] >> aggregate

The run id is ``d<ds_nodash>`` (``d20261122`` for ds 2026-11-22); every job replaces its run
id's rows, so a retry or a re-run of a date redoes its stages without duplicating anything. The
sweep grid (recipes x models x seeds x lora) is the ``sweep`` section of the config file.

Airflow Variables (all optional):

    finmix_jar            the shaded jar        /opt/finmix/pipeline-jobs/target/finmix-jobs.jar
    finmix_conf_file      --conf-file (study)   /opt/finmix/conf/finmix.conf
    finmix_warehouse      --warehouse           /opt/finmix/warehouse
    finmix_spark_conn_id  the Spark connection  spark_default
    finmix_spark_binary   spark-submit to run   spark-submit (finmix's bin/spark-submit works)
    finmix_spark_conf     Spark settings, JSON  {}
    finmix_pool           the pool of every task  finmix
    finmix_retries        retries of every task   2

The first three are read when a task runs (Jinja); the others when the DAG file is parsed
(operator arguments that Airflow does not template).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from airflow import DAG
from airflow.decorators import task
from airflow.models import Variable
from airflow.providers.apache.spark.hooks.spark_submit import SparkSubmitHook
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

JOBS = "io.finmix.jobs."
SWEEP_JOB = JOBS + "sweep.SweepJob"

# The run id every job writes under: one per logical date.
RUN_ID = "d{{ ds_nodash }}"


def variable_template(key: str, default: str) -> str:
    """A Jinja expression for an Airflow Variable, read when the task runs."""
    return "{{ var.value.get('%s', '%s') }}" % (key, default)


JAR = variable_template("finmix_jar", "/opt/finmix/pipeline-jobs/target/finmix-jobs.jar")
CONF_FILE = variable_template("finmix_conf_file", "/opt/finmix/conf/finmix.conf")
WAREHOUSE = variable_template("finmix_warehouse", "/opt/finmix/warehouse")


def common_args(run_id: str, conf_file: str, warehouse: str) -> list[str]:
    """The options every finmix job takes (CommonOptions)."""
    return ["--run-id", run_id, "--conf-file", conf_file, "--warehouse", warehouse]


def tokenizer_json(warehouse: str, run_id: str) -> str:
    """Where train_tokenizer writes the run's tokenizer.json (beside the run's reports)."""
    return f"{warehouse}/runs/{run_id}/tokenizer/tokenizer.json"


def pipeline_stages(run_id: str, conf_file: str, warehouse: str) -> list[tuple[str, str, list[str]]]:
    """(task id, job class, application args) of the data stages, in order.

    mix runs twice, as `finmix run` does: first counting bytes, so train_tokenizer has a mixture
    to learn from, then counting the trained tokenizer's tokens, so token-weighted recipes hold
    their shares in the sequences tokenize packs with it.
    """
    common = common_args(run_id, conf_file, warehouse)
    tokenizer = tokenizer_json(warehouse, run_id)
    return [
        ("ingest", JOBS + "ingest.IngestJob", common),
        ("dedup", JOBS + "dedup.DedupJob", common),
        ("decontaminate", JOBS + "decontaminate.DecontaminateJob", common),
        ("mix", JOBS + "mix.MixJob", common + ["--set", "mix.tokenizer=bytes"]),
        ("train_tokenizer", JOBS + "tokenize.TrainTokenizerJob",
         common + ["--out", tokenizer.rsplit("/", 1)[0]]),
        ("mix_tokens", JOBS + "mix.MixJob", common + ["--set", f"mix.tokenizer={tokenizer}"]),
        ("tokenize", JOBS + "tokenize.TokenizeJob", common + ["--tokenizer", tokenizer]),
        # the base every training run fine-tunes (sweep.init = base); a no-op otherwise
        ("pretrain", JOBS + "train.PretrainJob",
         common + ["--set", f"tokenize.tokenizer={tokenizer}", "--if-sweep-base"]),
    ]


def sweep_common_args(run_id: str, conf_file: str, warehouse: str) -> list[str]:
    """SweepJob's options for every stage: the run's trained tokenizer, which packed its sequences."""
    return common_args(run_id, conf_file, warehouse) + [
        "--set", f"tokenize.tokenizer={tokenizer_json(warehouse, run_id)}"]


def sweep_stage_args(stage: str, train_runs: list[str], common: list[str]) -> list[list[str]]:
    """The application args of one SweepJob submit per training run, for one stage."""
    return [["--stage", stage, "--only", name] + list(common) for name in train_runs]


def train_runs_from_plan(stdout: str) -> list[str]:
    """The train_run names of `SweepJob --plan --json`'s one line of JSON, in grid order."""
    lines = [line for line in stdout.splitlines() if line.strip()]
    if len(lines) != 1:
        raise ValueError(f"SweepJob --plan --json printed {len(lines)} lines, not one JSON line: "
                         f"{stdout[:2000]!r}")
    plan = json.loads(lines[0])
    if not isinstance(plan, list) or not all(isinstance(r, dict) and r.get("train_run") for r in plan):
        raise ValueError(f"SweepJob --plan --json printed no list of runs: {lines[0][:2000]!r}")
    names = [r["train_run"] for r in plan]
    if len(set(names)) != len(names):
        raise ValueError(f"SweepJob --plan --json named a training run twice: {names}")
    return names


def setting(key: str, default):
    """An Airflow Variable read when the DAG file is parsed (JSON when the default is a dict)."""
    return Variable.get(key, default_var=default, deserialize_json=isinstance(default, dict))


SPARK_CONN_ID = setting("finmix_spark_conn_id", "spark_default")
SPARK_BINARY = setting("finmix_spark_binary", "spark-submit")
SPARK_CONF = setting("finmix_spark_conf", {})
POOL = setting("finmix_pool", "finmix")
RETRIES = int(setting("finmix_retries", "2"))


def submit(task_id: str, java_class: str, **kwargs) -> dict:
    """The SparkSubmitOperator arguments every stage shares."""
    return dict(task_id=task_id, application=JAR, java_class=java_class, conn_id=SPARK_CONN_ID,
                spark_binary=SPARK_BINARY, conf=SPARK_CONF, name=f"finmix-{task_id}-{RUN_ID}",
                **kwargs)


with DAG(
    dag_id="finmix",
    description="finmix: ingest to leaderboard, one Spark job per stage, one training run per task",
    schedule="@weekly",
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    max_active_runs=1,
    default_args={"retries": RETRIES, "retry_delay": timedelta(minutes=5), "pool": POOL},
    tags=["finmix"],
    doc_md=__doc__,
) as dag:
    previous = None
    for task_id, java_class, args in pipeline_stages(RUN_ID, CONF_FILE, WAREHOUSE):
        stage = SparkSubmitOperator(**submit(task_id, java_class, application_args=args))
        if previous is not None:
            previous >> stage
        previous = stage

    @task
    def plan(application: str, common: list[str]) -> list[str]:
        """The grid's training runs: SweepJob --plan --json through the stages' own spark-submit."""
        run_id = common[common.index("--run-id") + 1]
        hook = SparkSubmitHook(conf=SPARK_CONF, conn_id=SPARK_CONN_ID, java_class=SWEEP_JOB,
                               name=f"finmix-plan-{run_id}", spark_binary=SPARK_BINARY,
                               application_args=["--plan", "--json"] + common)
        command = hook._build_spark_submit_command(application)
        if "--deploy-mode" in command and command[command.index("--deploy-mode") + 1] == "cluster":
            raise ValueError(f"the plan prints to the submitter's stdout: connection {SPARK_CONN_ID} "
                             "must use deploy mode client")
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        print(done.stderr, file=sys.stderr)
        if done.returncode != 0:
            raise RuntimeError(f"SweepJob --plan exited with {done.returncode}")
        names = train_runs_from_plan(done.stdout)
        print(f"finmix plan: {len(names)} training runs: {', '.join(names)}", file=sys.stderr)
        return names

    @task
    def stage_args(stage: str, train_runs: list[str], common: list[str]) -> list[list[str]]:
        """Per training run, SweepJob's arguments for one stage (values Airflow will not template)."""
        return sweep_stage_args(stage, train_runs, common)

    sweep_common = sweep_common_args(RUN_ID, CONF_FILE, WAREHOUSE)
    train_runs = plan(JAR, sweep_common)
    previous >> train_runs

    train = SparkSubmitOperator.partial(**submit("train", SWEEP_JOB)).expand(
        application_args=stage_args.override(task_id="train_args")("train", train_runs, sweep_common))
    evaluate = SparkSubmitOperator.partial(**submit("evaluate", SWEEP_JOB)).expand(
        application_args=stage_args.override(task_id="evaluate_args")(
            "evaluate", train_runs, sweep_common))
    aggregate = SparkSubmitOperator(
        **submit("aggregate", SWEEP_JOB, application_args=["--stage", "aggregate"] + sweep_common))
    train >> evaluate >> aggregate
