"""``vsdesk bench [--json] [--quick] [--section S]``: speed beside a naive baseline."""

from __future__ import annotations

import argparse


def register(subparsers) -> None:
    from vsdesk.engine.bench import SECTIONS

    parser = subparsers.add_parser(
        "bench",
        help="measure indexing, search and model speed against naive baselines",
        description="Each figure is printed beside a baseline measured in the same run: a naive way of doing "
        "the same, unless the line names another; ratio > 1 means vsdesk is faster than that baseline. Takes "
        "a few minutes (--quick: about a minute, more on a busy machine).",
    )
    parser.add_argument("--json", action="store_true",
                        help="a JSON list of {name, value, unit, baseline, ratio} on stdout")
    parser.add_argument("--quick", action="store_true", help="small sizes: about a minute (for tests and a first look)")
    parser.add_argument("--section", action="append", choices=SECTIONS, metavar="S",
                        help=f"only this section (repeatable): {', '.join(SECTIONS)}")
    parser.set_defaults(handler=_bench)


def _bench(args: argparse.Namespace) -> int:
    from vsdesk.cli._common import FAILED, CommandError, print_json, say
    from vsdesk.engine.text import counted
    from vsdesk.engine.bench.runner import run_bench
    from vsdesk.engine.tsne_process import sweep_orphaned_folders

    def to_stderr(text: str) -> None:
        say(text)

    sweep_orphaned_folders()  # the map folders a bench or window killed left (only a map in a child did it)
    show = to_stderr if args.json else (lambda text: print(text, flush=True))
    sections = list(dict.fromkeys(args.section)) if args.section else None  # each once, in order given
    failed: list[str] = []
    records = run_bench(sections, quick=args.quick, show=show, note=to_stderr, failed=failed)
    if args.json:
        print_json([r.as_dict() for r in records])
    if failed:  # said at the end too, after the figures of the others
        from vsdesk.engine.logfile import log_file

        where = log_file()  # where the runner logged the traceback (None: no log file)
        raise CommandError(f"bench: {counted(len(failed), 'section')} failed ({', '.join(failed)}): see its line "
                           "above" + (f"; its traceback is in {where}" if where else ""), FAILED)
    return 0
