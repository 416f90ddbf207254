"""Command line: ``mtqe run`` (Hydra) and inspection subcommands.

Examples::

    mtqe run                                   # default experiment (jpus-2022, ja→zh)
    mtqe run system=[community,nllb-200-distilled-600m] hydra.run.dir=out/nllb
    mtqe run -m system=community,gemma-3-270m  # Hydra multirun: one job per system
    mtqe systems list
    mtqe metrics list
    mtqe cache stats
    mtqe init my-eval                          # a folder for your own systems and texts

Run from a folder with conf/ and references/ (see `mtqe init`), mtqe uses them on top of its
packaged configs and bundled texts.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mtqe.conf_paths import conf_dirs, packaged_conf_dir
from mtqe.errors import MtqeError


def _run(overrides: list[str]) -> int:
    """Hand the overrides to Hydra, which composes the config and calls :func:`run_task`."""
    import hydra

    from mtqe.command_line import add_schema_fields, check_overrides
    from mtqe.config import register_configs
    from mtqe.hydra_search_path import register as register_search_path
    from mtqe.run_task import run_task

    register_configs()
    register_search_path()  # the user's conf/ before the packaged configs
    # mtqe's own flags become config overrides (Hydra would reject them).
    flags = {"--quiet": "quiet=true", "--overwrite": "overwrite=true", "--allow-partial": "allow_partial=true"}
    overrides = [o for o in overrides if o not in flags] + [flags[o] for o in flags if o in overrides]
    check_overrides(overrides, conf_dirs())  # one line for a misspelt name, not Hydra's search path
    overrides = add_schema_fields(overrides, conf_dirs())  # system.NAME.FIELD=... without `+`
    main = hydra.main(version_base="1.3", config_path=str(packaged_conf_dir()), config_name="config")(run_task)
    saved_argv = sys.argv
    sys.argv = ["mtqe run", *overrides]
    try:
        main()
    finally:
        sys.argv = saved_argv
    return 0


def _systems_list(args: argparse.Namespace) -> int:
    from mtqe.catalogue import list_systems

    for line in list_systems(conf_dirs()):
        print(line)
    return 0


def _metrics_list(args: argparse.Namespace) -> int:
    from mtqe.catalogue import list_metrics

    for line in list_metrics(conf_dirs()):
        print(line)
    return 0


def _cache_stats(args: argparse.Namespace) -> int:
    from mtqe.cache_paths import default_cache_dir
    from mtqe.corpus.align.embedding_store import EmbeddingStore
    from mtqe.metrics.score_cache import ScoreCache
    from mtqe.systems.cache import TranslationCache

    root = Path(args.cache_dir or default_cache_dir())
    path = root / "translations.sqlite"
    # Read only: stats never create or change a cache (and so work on a read-only folder).
    if path.exists():
        cache = TranslationCache(path, read_only=True)
        stats = cache.stats()
        print(f"{stats.path}: {stats.entries} translations, {stats.identities} model configurations, "
              f"{stats.size_bytes / 1e6:.1f} MB{_unread_wal_note(cache)}")
        for identity, n in stats.per_identity:
            print(f"  {n:6d}  {identity[:160]}")
    else:
        print(f"no translation cache at {path}")
    for name, store_type, what in (("scores.sqlite", ScoreCache, "segment scores"),
                                   ("embeddings.sqlite", EmbeddingStore,
                                    "alignment embeddings and COMET sentence embeddings")):
        if (root / name).exists():
            store = store_type(root / name, read_only=True)
            with store.guard():
                count = store.count()
            print(f"{store.path}: {count} {what}, {store.size_bytes() / 1e6:.1f} MB{_unread_wal_note(store)}")
    for name, what in (("gguf-converted", "converted GGUF models"), ("ct2", "CTranslate2 models")):
        folder = root / name
        if folder.is_dir():
            size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
            count = sum(1 for d in folder.iterdir() if d.is_dir())
            print(f"{folder}: {count} {what}, {size / 1e6:.1f} MB")
    return 0


def _unread_wal_note(store) -> str:  # type: ignore[no-untyped-def]
    return " (read-only folder: rows still in the -wal file are not counted)" if store.unread_wal else ""


def _cache_prune(args: argparse.Namespace) -> int:
    from mtqe.cache_paths import default_cache_dir
    from mtqe.systems.cache import TranslationCache

    path = Path(args.cache_dir or default_cache_dir()) / "translations.sqlite"
    if not path.exists():
        print(f"no translation cache at {path}")
        return 0
    try:
        n = TranslationCache(path).prune(older_than_days=args.older_than_days, model_substring=args.model)
    except ValueError as exc:
        raise MtqeError(str(exc)) from None
    print(f"deleted {n} translations from {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mtqe", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser(
        "run", help="run an experiment (Hydra overrides follow; --quiet hides progress; --overwrite reuses a "
        "run directory; --allow-partial exits 0 when a system failed; exit codes: docs/reliability.md)",
        add_help=False
    )
    run.set_defaults(func=None)

    systems = sub.add_parser("systems", help="systems defined in conf/system/")
    systems_sub = systems.add_subparsers(dest="action", required=True)
    systems_sub.add_parser("list", help="list systems and the pairs they support").set_defaults(func=_systems_list)

    metrics = sub.add_parser("metrics", help="metrics defined in conf/metric/")
    metrics_sub = metrics.add_subparsers(dest="action", required=True)
    metrics_sub.add_parser("list", help="list metrics and their metadata").set_defaults(func=_metrics_list)

    cache = sub.add_parser("cache", help="the caches shared by all runs (translations, scores, embeddings)")
    cache_dir_help = "default: $MTQE_CACHE_DIR or ~/.cache/mtqe"
    cache.add_argument("--cache-dir", default=None, help=cache_dir_help)
    # Also accepted after the action (`mtqe cache stats --cache-dir X`); SUPPRESS keeps the
    # value given before it when this one is absent.
    cache_dir_after = argparse.ArgumentParser(add_help=False)
    cache_dir_after.add_argument("--cache-dir", default=argparse.SUPPRESS, help=cache_dir_help)
    cache_sub = cache.add_subparsers(dest="action", required=True)
    cache_sub.add_parser(
        "stats", help="entries per model configuration, and every cache's size", parents=[cache_dir_after]
    ).set_defaults(func=_cache_stats)
    prune = cache_sub.add_parser(
        "prune", help="delete old translations or those of one model", parents=[cache_dir_after]
    )
    prune.add_argument("--older-than-days", type=float, default=None)
    prune.add_argument("--model", default=None, help="substring of the model id / file")
    prune.set_defaults(func=_cache_prune)
    for add_subcommand in _stage_subcommands():
        add_subcommand(sub)
    return parser


def _stage_subcommands() -> list:
    """Subcommands that live with their stage (each module exposes ``add_subcommand(subparsers)``)."""
    from mtqe.report.cli_report import add_subcommand as add_report
    from mtqe.report.cli_collect import add_subcommand as add_collect
    from mtqe.corpus.cli_corpus import add_subcommand as add_corpus
    from mtqe.project_init import add_subcommand as add_init
    from mtqe.diagnostics.cli import add_subcommand as add_diagnose
    return [add_report, add_collect, add_corpus, add_init, add_diagnose]


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv and argv[0] == "run":
            return _run(argv[1:])
        args = build_parser().parse_args(argv)
        return args.func(args)
    except MtqeError as exc:
        print(f"mtqe: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
