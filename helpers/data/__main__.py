"""`python -m helpers.data`: list the datasets, describe one, or download EMNIST/MNIST."""

from __future__ import annotations

import argparse
import json
import sys

from helpers.arguments import positive_int, print_error, warnings_as_lines
from helpers.data import SOURCES, dataset_options, leakage, load_dataset, load_from
from helpers.errors import BundleError


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.data",
        description="Datasets of the character-recognition bundle.",
        epilog="examples:\n  python -m helpers.data list\n"
               "  python -m helpers.data download emnist-balanced\n"
               "  python -m helpers.data info emnist-letters --location data/raw/emnist",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the dataset names and their options")
    info = commands.add_parser("info", help="load a dataset and print its facts as JSON")
    info.add_argument("name", choices=sorted(SOURCES), metavar="NAME")
    info.add_argument("--location", help="data folder (EMNIST/MNIST) or file/folder (az-csv, "
                                         "folder)")
    info.add_argument("--limit", type=positive_int, help="stratified sample of this many images")
    info.add_argument("--seed", type=int, default=0)
    fetch = commands.add_parser("download", help="download an EMNIST split or MNIST, checked by "
                                                 "SHA-256, into data/raw (or --data-dir)")
    downloadable = sorted(n for n in SOURCES if "download" in dataset_options(n))
    fetch.add_argument("name", choices=downloadable, metavar="NAME",
                       help=", ".join(downloadable))
    fetch.add_argument("--data-dir", help="where to put the files (default data/raw/<source>)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with warnings_as_lines():
        return run_command(args)


def run_command(args: argparse.Namespace) -> int:
    try:
        if args.command == "list":
            for name, (_, _, about) in SOURCES.items():
                options = ", ".join(f"{k}={v!r}" for k, v in dataset_options(name).items())
                print(f"{name:18} {about}\n{'':18} options: {options or '-'}")
        elif args.command == "info":
            dataset = load_from(args.name, args.location, limit=args.limit, seed=args.seed)
            facts = {**dataset.describe(), "leakage": leakage(dataset).as_dict()}
            print(json.dumps(facts, indent=2))
        else:
            dataset = load_dataset(args.name, data_dir=args.data_dir, download=True)
            print(f"{dataset!r} ready: {dataset.source}")
    except BundleError as e:
        print_error(e)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
