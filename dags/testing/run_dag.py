#!/usr/bin/env python3
"""Runs an Airflow DAG file without Airflow, the way Airflow would run one DAG run of it.

Airflow cannot be installed where finmix is tested, so this harness installs small stand-ins for
the parts of Airflow 2.x that dags/finmix.py uses (DAG, Variable, the @task decorator with
.override(), SparkSubmitOperator with .partial().expand(), SparkSubmitHook, >>), imports the DAG
file, renders every templated field with Jinja for one logical date (Airflow's own template
environment: sandboxed, StrictUndefined, the ``ds``/``ds_nodash``/``var`` context), and runs the
tasks in dependency order, one at a time:

- a SparkSubmitOperator task runs the command line the provider's SparkSubmitHook builds
  (binary, --master from the connection, --conf k=v ..., the other options, --name, --class,
  application, application_args); a mapped one runs it once per expanded value;
- a @task calls its Python function with its rendered arguments and upstream results (which,
  as in Airflow, pass through JSON and are not templated again).

Usage:
  run_dag.py --ds 2026-11-22 [--master URL] [--spark-binary PATH] [--var KEY=VALUE ...]
             [--xcom TASK=JSON ...] [--dry-run] [--dag-file FILE]

--master is the Spark connection's master (every conn id; default local[*]); --spark-binary
PATH is short for --var finmix_spark_binary=PATH. --xcom TASK=JSON gives a @task's result
instead of running it. --dry-run runs no spark-submit and prints the DAG and its rendered
command lines as JSON; there a @task runs only when it takes other tasks' results and those are
known (so plan, which submits to Spark, runs only through --xcom plan=[...]).

Exit status: 0 when every task succeeded; 1 when one failed (named on stderr, with its exit
status), and nothing after it ran; 2 for a usage error or a DAG file that does not load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import jinja2
import jinja2.sandbox

_UNSET = object()


class Harness:
    """What the stand-ins share: Variables, the connection's master, the DAG being defined."""

    variables: dict[str, str] = {}
    master = "local[*]"
    dag_stack: list["DAG"] = []
    dags: list["DAG"] = []


# ---- airflow.models.Variable -------------------------------------------------------------------

class Variable:
    @staticmethod
    def get(key, default_var=_UNSET, deserialize_json=False):
        if key in Harness.variables:
            value = Harness.variables[key]
            return json.loads(value) if deserialize_json else value
        if default_var is _UNSET:
            raise KeyError(f"Variable {key} does not exist")
        return default_var


class _VariableAccessor:
    """``var.value`` / ``var.json`` in templates."""

    def __init__(self, deserialize_json: bool):
        self._json = deserialize_json

    def get(self, key, default_var=_UNSET):
        return Variable.get(key, default_var, deserialize_json=self._json)

    def __getattr__(self, key):
        return Variable.get(key, deserialize_json=self._json)


# ---- DAG and task nodes ----------------------------------------------------------------------

class DAG:
    def __init__(self, dag_id, *, default_args=None, **kwargs):
        self.dag_id = dag_id
        self.default_args = dict(default_args or {})
        self.settings = kwargs
        self.tasks: dict[str, Node] = {}

    def __enter__(self):
        Harness.dag_stack.append(self)
        return self

    def __exit__(self, *exc):
        Harness.dag_stack.pop()
        Harness.dags.append(self)
        return False

    def add(self, node: "Node"):
        if node.task_id in self.tasks:
            raise ValueError(f"task id {node.task_id!r} appears twice in DAG {self.dag_id}")
        self.tasks[node.task_id] = node


def _current_dag() -> DAG:
    if not Harness.dag_stack:
        raise RuntimeError("a task was created outside `with DAG(...)`")
    return Harness.dag_stack[-1]


def _relate(left, right):
    """left >> right, for tasks, XComArgs and lists of them; returns right."""
    for a in left if isinstance(left, (list, tuple)) else [left]:
        for b in right if isinstance(right, (list, tuple)) else [right]:
            _node(b).upstream.add(_node(a).task_id)
    return right


def _node(x) -> "Node":
    return x.node if isinstance(x, XComArg) else x


class _Chainable:
    def __rshift__(self, other):
        return _relate(self, other)

    def __lshift__(self, other):
        _relate(other, self)
        return other

    def __rrshift__(self, other):  # [a, b] >> self
        return _relate(other, self)

    def __rlshift__(self, other):  # [a, b] << self
        _relate(self, other)
        return other


class Node(_Chainable):
    """A task: its id, its upstream task ids, and BaseOperator's arguments (retries, pool...)."""

    BASE_ARGS = ("retries", "retry_delay", "pool", "pool_slots", "queue", "execution_timeout",
                 "trigger_rule", "depends_on_past", "owner", "email", "priority_weight")

    def __init__(self, task_id, base_args):
        dag = _current_dag()
        self.task_id = task_id
        self.upstream: set[str] = set()
        self.base = {k: base_args.get(k, dag.default_args.get(k)) for k in self.BASE_ARGS}
        dag.add(self)

    def depend_on_xcom_args(self, values):
        for value in _walk(values):
            if isinstance(value, XComArg):
                self.upstream.add(value.node.task_id)


def _walk(value):
    if isinstance(value, (list, tuple)):
        for v in value:
            yield from _walk(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _walk(v)
    else:
        yield value


def _split_base(kwargs):
    base = {k: kwargs.pop(k) for k in list(kwargs) if k in Node.BASE_ARGS}
    return base, kwargs


class XComArg(_Chainable):
    """The result of a @task (its return value), usable as another task's argument."""

    def __init__(self, node):
        self.node = node


# ---- @task --------------------------------------------------------------------------------

class PythonTask(Node):
    def __init__(self, function, task_id, base_args, args, kwargs):
        super().__init__(task_id, base_args)
        self.function = function
        self.args = list(args)
        self.kwargs = dict(kwargs)
        self.depend_on_xcom_args([self.args, self.kwargs])


class _TaskDecorator:
    def __init__(self, function, options):
        self.function = function
        self.options = options

    def override(self, **options):
        return _TaskDecorator(self.function, {**self.options, **options})

    def __call__(self, *args, **kwargs):
        options = dict(self.options)
        task_id = options.pop("task_id", self.function.__name__)
        base, _ = _split_base(options)
        return XComArg(PythonTask(self.function, task_id, base, args, kwargs))


def task(function=None, **options):
    if function is None:
        return lambda f: _TaskDecorator(f, options)
    return _TaskDecorator(function, options)


# ---- the apache-spark provider -----------------------------------------------------------------

class SparkSubmitHook:
    """Builds the command line as the provider's SparkSubmitHook does (client or cluster mode)."""

    def __init__(self, conf=None, conn_id="spark_default", files=None, py_files=None,
                 archives=None, driver_class_path=None, jars=None, java_class=None, packages=None,
                 exclude_packages=None, repositories=None, total_executor_cores=None,
                 executor_cores=None, executor_memory=None, driver_memory=None, keytab=None,
                 principal=None, proxy_user=None, name="default-name", num_executors=None,
                 status_poll_interval=1, application_args=None, env_vars=None, verbose=False,
                 spark_binary=None, properties_file=None, yarn_queue=None, deploy_mode=None,
                 **ignored):
        self.conf = conf or {}
        self.conn_id = conn_id
        self.options = [  # the provider's order, after --master and the --conf settings
            ("--properties-file", properties_file), ("--files", files),
            ("--py-files", py_files), ("--archives", archives),
            ("--driver-class-path", driver_class_path), ("--jars", jars),
            ("--packages", packages), ("--exclude-packages", exclude_packages),
            ("--repositories", repositories), ("--num-executors", num_executors),
            ("--total-executor-cores", total_executor_cores),
            ("--executor-cores", executor_cores), ("--executor-memory", executor_memory),
            ("--driver-memory", driver_memory), ("--keytab", keytab),
            ("--principal", principal), ("--proxy-user", proxy_user), ("--name", name),
            ("--class", java_class),
        ]
        self.verbose = verbose
        self.queue = yarn_queue
        self.deploy_mode = deploy_mode
        self.application_args = application_args
        self.env_vars = env_vars
        self.spark_binary = spark_binary or "spark-submit"
        self.master = Harness.master

    def _build_spark_submit_command(self, application):
        command = [self.spark_binary, "--master", self.master]
        command += [a for k, v in self.conf.items() for a in ("--conf", f"{k}={v}")]
        env_conf = ("spark.yarn.appMasterEnv.{}={}" if "yarn" in self.master
                    else "spark.kubernetes.driverEnv.{}={}" if "k8s" in self.master else None)
        if self.env_vars and env_conf:
            command += [a for k, v in self.env_vars.items() for a in ("--conf", env_conf.format(k, v))]
        command += [a for option, value in self.options if value for a in (option, str(value))]
        if self.verbose:
            command.append("--verbose")
        if self.queue:
            command += ["--queue", self.queue]
        if self.deploy_mode:
            command += ["--deploy-mode", self.deploy_mode]
        return command + [application] + [str(a) for a in self.application_args or []]

    def process_env(self):
        """The environment spark-submit runs in: env_vars apply to the process in client mode."""
        env = dict(os.environ)
        if self.env_vars and "yarn" not in self.master and "k8s" not in self.master:
            env.update({k: str(v) for k, v in self.env_vars.items()})
        return env


class SparkSubmitOperator(Node):
    template_fields = ("application", "conf", "files", "py_files", "jars", "driver_class_path",
                       "packages", "exclude_packages", "keytab", "principal", "proxy_user",
                       "name", "application_args", "env_vars", "properties_file")

    def __init__(self, *, task_id, **kwargs):
        base, self.arguments = _split_base(dict(kwargs))
        super().__init__(task_id, base)
        self.depend_on_xcom_args(self.arguments)

    @classmethod
    def partial(cls, *, task_id, **kwargs):
        return _PartialSparkSubmit(task_id, kwargs)


class _PartialSparkSubmit:
    def __init__(self, task_id, kwargs):
        self.task_id = task_id
        self.kwargs = kwargs

    def expand(self, **mapped):
        both = set(mapped) & set(self.kwargs)
        if both:
            raise TypeError(f"{self.task_id}: arguments both partial and mapped: {sorted(both)}")
        return MappedSparkSubmit(self.task_id, self.kwargs, mapped)


class MappedSparkSubmit(Node):
    def __init__(self, task_id, kwargs, mapped):
        base, self.arguments = _split_base(dict(kwargs))
        super().__init__(task_id, base)
        self.mapped = mapped
        self.depend_on_xcom_args([self.arguments, mapped])


def install_stand_ins():
    """Puts the stand-ins where the DAG file imports them from."""
    modules = {
        "airflow": {"DAG": DAG},
        "airflow.decorators": {"task": task},
        "airflow.models": {"Variable": Variable, "DAG": DAG},
        "airflow.providers": {},
        "airflow.providers.apache": {},
        "airflow.providers.apache.spark": {},
        "airflow.providers.apache.spark.operators": {},
        "airflow.providers.apache.spark.operators.spark_submit": {
            "SparkSubmitOperator": SparkSubmitOperator},
        "airflow.providers.apache.spark.hooks": {},
        "airflow.providers.apache.spark.hooks.spark_submit": {"SparkSubmitHook": SparkSubmitHook},
    }
    for name, attributes in modules.items():
        module = types.ModuleType(name)
        module.__path__ = []
        module.__dict__.update(attributes)
        sys.modules[name] = module


# ---- rendering and running -----------------------------------------------------------------

class TaskFailed(Exception):
    pass


class Run:
    """One DAG run: the template context of a logical date, the tasks' results, the report."""

    def __init__(self, dag: DAG, ds: str, dry_run: bool, stubs: dict):
        self.dag = dag
        self.dry_run = dry_run
        self.results = dict(stubs)
        logical = dt.datetime.strptime(ds, "%Y-%m-%d").replace(tzinfo=dt.timezone.utc)
        self.env = jinja2.sandbox.SandboxedEnvironment(
            undefined=jinja2.StrictUndefined, extensions=["jinja2.ext.do"], cache_size=0)
        self.context = {
            "ds": ds, "ds_nodash": ds.replace("-", ""), "ts": logical.isoformat(),
            "ts_nodash": logical.strftime("%Y%m%dT%H%M%S"), "logical_date": logical,
            "execution_date": logical, "data_interval_start": logical,
            "run_id": f"scheduled__{logical.isoformat()}", "dag": dag, "params": {},
            "var": {"value": _VariableAccessor(False), "json": _VariableAccessor(True)},
        }

    def render(self, value):
        """Airflow's rendering: strings are templates, containers recursively, results as is."""
        if isinstance(value, XComArg):
            return self.result(value.node.task_id)
        if isinstance(value, str):
            return self.env.from_string(value).render(**self.context)
        if isinstance(value, (list, tuple)):
            return type(value)(self.render(v) for v in value)
        if isinstance(value, dict):
            return {k: self.render(v) for k, v in value.items()}
        return value

    def result(self, task_id):
        if task_id not in self.results:
            raise LookupError(task_id)
        return self.results[task_id]

    def known(self, values) -> bool:
        return all(v.node.task_id in self.results for v in _walk(values) if isinstance(v, XComArg))

    def order(self) -> list[Node]:
        """Topological, in definition order among tasks that are ready together."""
        done, order, pending = set(), [], list(self.dag.tasks.values())
        while pending:
            ready = [n for n in pending if n.upstream <= done]
            if not ready:
                raise ValueError(f"cycle among {[n.task_id for n in pending]}")
            order.append(ready[0])
            done.add(ready[0].task_id)
            pending.remove(ready[0])
        return order

    def submit_commands(self, node) -> tuple[list[tuple[list[str], dict]], bool]:
        """The (command, env) of each spark-submit of a task; False when its input is unknown."""
        rendered = {k: (self.render(v) if k in SparkSubmitOperator.template_fields else v)
                    for k, v in node.arguments.items()}
        if isinstance(node, MappedSparkSubmit):
            if not self.known(node.mapped):
                return [], False
            # values from other tasks are not templated again, as in Airflow
            expanded = {k: self.render(v) if isinstance(v, XComArg) else
                        [self.render(x) for x in v] for k, v in node.mapped.items()}
            lengths = {len(v) for v in expanded.values()}
            if len(lengths) != 1:
                raise ValueError(f"{node.task_id}: mapped arguments of different lengths")
            variants = [{k: v[i] for k, v in expanded.items()} for i in range(lengths.pop())]
        else:
            variants = [{}]
        submits = []
        for variant in variants:
            arguments = {**rendered, **variant}
            application = arguments.pop("application", "")
            hook = SparkSubmitHook(**arguments)
            submits.append((hook._build_spark_submit_command(application), hook.process_env()))
        return submits, True

    def run_task(self, node) -> dict:
        report = {"task_id": node.task_id, "upstream": sorted(node.upstream),
                  "retries": node.base["retries"], "pool": node.base["pool"]}
        if isinstance(node, PythonTask):
            report.update(operator="@task", function=node.function.__name__, mapped=False)
            stubbed = node.task_id in self.results
            inputs = [v for v in _walk([node.args, node.kwargs]) if isinstance(v, XComArg)]
            runs = not stubbed and (not self.dry_run or bool(inputs) and self.known(inputs))
            if runs:
                args, kwargs = self.render(node.args), self.render(node.kwargs)
                log(f"{node.task_id}: {node.function.__name__}()")
                try:
                    value = node.function(*args, **kwargs)
                except Exception as e:
                    raise TaskFailed(f"task {node.task_id} failed: {type(e).__name__}: {e}") from e
                # results travel as JSON (XCom)
                self.results[node.task_id] = json.loads(json.dumps(value))
            if node.task_id in self.results:
                report["result"] = self.results[node.task_id]
            report["ran"] = runs
            return report
        report.update(operator="SparkSubmitOperator",
                      mapped=isinstance(node, MappedSparkSubmit),
                      java_class=node.arguments.get("java_class"))
        submits, known = self.submit_commands(node)
        report["commands"] = [command for command, _ in submits] if known else None
        if isinstance(node, MappedSparkSubmit):
            report["expand"] = {k: (v.node.task_id if isinstance(v, XComArg) else "literal")
                                for k, v in node.mapped.items()}
            if known and not submits:
                log(f"{node.task_id}: mapped over nothing, skipped")
        if not self.dry_run:
            for index, (command, env) in enumerate(submits):
                label = node.task_id + (f"[{index}]" if report["mapped"] else "")
                log(f"{label}: {' '.join(command)}")
                code = subprocess.run(command, env=env).returncode
                if code != 0:
                    raise TaskFailed(f"task {label} failed: spark-submit exited with {code}")
        return report

    def run(self) -> list[dict]:
        return [self.run_task(node) for node in self.order()]


def log(message):
    print(f"[run_dag {dt.datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def load_dag(path: Path) -> DAG:
    install_stand_ins()
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    if len(Harness.dags) != 1:
        raise ValueError(f"{path} defines {len(Harness.dags)} DAGs; this harness runs one")
    return Harness.dags[0]


def key_value(text):
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description="Run an Airflow DAG file's tasks in order without Airflow (see the module doc).")
    parser.add_argument("--ds", required=True, help="the logical date, YYYY-MM-DD")
    parser.add_argument("--dag-file", type=Path, default=Path(__file__).resolve().parent.parent
                        / "finmix.py")
    parser.add_argument("--master", default="local[*]",
                        help="the Spark connection's master (default local[*])")
    parser.add_argument("--spark-binary", help="short for --var finmix_spark_binary=PATH")
    parser.add_argument("--var", type=key_value, action="append", default=[],
                        metavar="KEY=VALUE", help="an Airflow Variable (repeatable)")
    parser.add_argument("--xcom", type=key_value, action="append", default=[],
                        metavar="TASK=JSON", help="a @task's result, instead of running it")
    parser.add_argument("--dry-run", action="store_true",
                        help="run no spark-submit; print the DAG and its command lines as JSON")
    options = parser.parse_args(argv)
    try:
        dt.datetime.strptime(options.ds, "%Y-%m-%d")
        stubs = {k: json.loads(v) for k, v in options.xcom}
    except ValueError as e:
        parser.error(str(e))
    Harness.variables = dict(options.var)
    if options.spark_binary:
        Harness.variables["finmix_spark_binary"] = options.spark_binary
    Harness.master = options.master
    try:
        dag = load_dag(options.dag_file)
    except Exception as e:
        print(f"run_dag: {options.dag_file} does not load: {type(e).__name__}: {e}", file=sys.stderr)
        return 2
    unknown = set(stubs) - set(dag.tasks)
    if unknown:
        parser.error(f"--xcom names no task of the DAG: {sorted(unknown)}")
    run = Run(dag, options.ds, options.dry_run, stubs)
    try:
        tasks = run.run()
    except TaskFailed as e:
        print(f"run_dag: {e}", file=sys.stderr)
        return 1
    if options.dry_run:
        settings = {k: v for k, v in dag.settings.items() if k != "doc_md"}
        print(json.dumps({"dag_id": dag.dag_id, **settings, "default_args": dag.default_args,
                          "ds": options.ds, "tasks": tasks}, default=str, indent=1))
    else:
        log(f"DAG {dag.dag_id} for {options.ds}: {len(tasks)} tasks succeeded")
    return 0


if __name__ == "__main__":
    sys.exit(main())
